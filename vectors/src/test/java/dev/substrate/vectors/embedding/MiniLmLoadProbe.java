package dev.substrate.vectors.embedding;

import java.nio.file.Path;
import java.util.List;

/** Loads the model in a JVM of its own, says so, and waits to be killed (for the test above). */
public final class MiniLmLoadProbe {

    static final String LOADED = "model loaded";

    private MiniLmLoadProbe() {}

    public static void main(String[] args) throws Exception {
        Embedder embedder = MiniLmEmbedder.open(Path.of(args[0]));
        embedder.embed(List.of("probe"));
        System.out.println(LOADED);
        System.out.flush();
        Thread.sleep(120_000);
    }
}
