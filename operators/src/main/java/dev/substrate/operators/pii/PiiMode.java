package dev.substrate.operators.pii;

/** Where the PII tokenization key may come from. */
public enum PiiMode {
    /**
     * The key must be given, through {@value PiiKeySource#ENV_KEY} or a key file; the job refuses
     * to start without one. The default, so that a job jar never tokenizes with a made-up key.
     */
    PRODUCTION,
    /**
     * The local run: without a given key, a random one is generated into the key file once and
     * reused by later runs (so tokens stay stable across local runs), and the run says so.
     */
    LOCAL
}
