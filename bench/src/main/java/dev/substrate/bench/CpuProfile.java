package dev.substrate.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import one.profiler.AsyncProfiler;

/**
 * A CPU profile of this JVM with async-profiler: every thread's CPU time, JIT compiler, GC and
 * native frames included (JFR's execution sampler sees only threads running Java code), sampled by
 * a CPU-time interval timer (no perf events needed), written as collapsed stacks (one line per
 * stack, thread name first) for {@code bench/profile/cpu-by-thread.py} or a flame graph.
 */
final class CpuProfile implements AutoCloseable {

    private static final String LIBRARY = "/linux-x64/libasyncProfiler.so";

    private final AsyncProfiler profiler;
    private final Path output;

    private CpuProfile(AsyncProfiler profiler, Path output) {
        this.profiler = profiler;
        this.output = output;
    }

    /** Starts sampling every 5 ms of CPU time, per thread; {@link #close} writes {@code output}. */
    static CpuProfile start(Path output) throws IOException {
        if (!System.getProperty("os.name").startsWith("Linux")
                || !System.getProperty("os.arch").equals("amd64")) {
            throw new IllegalStateException(
                    "--async-profile needs Linux x86-64 (async-profiler's bundled library)");
        }
        // The library ships inside the jar; the JVM loads native code from files only.
        Path library = Files.createTempFile("libasyncProfiler", ".so");
        library.toFile().deleteOnExit();
        try (InputStream in = AsyncProfiler.class.getResourceAsStream(LIBRARY)) {
            if (in == null) {
                throw new IllegalStateException("async-profiler jar without " + LIBRARY);
            }
            Files.copy(in, library, StandardCopyOption.REPLACE_EXISTING);
        }
        AsyncProfiler profiler = AsyncProfiler.getInstance(library.toString());
        profiler.execute("start,event=itimer,interval=5ms,threads");
        return new CpuProfile(profiler, output);
    }

    @Override
    public void close() throws IOException {
        profiler.execute("stop,collapsed,file=" + output.toAbsolutePath());
    }
}
