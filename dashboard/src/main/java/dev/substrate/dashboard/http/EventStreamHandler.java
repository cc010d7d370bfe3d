package dev.substrate.dashboard.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.substrate.dashboard.live.Subscriber;
import dev.substrate.dashboard.live.Update;
import dev.substrate.dashboard.live.UpdateHub;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.annotation.Nullable;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /events}: the {@link UpdateHub} as server-sent events. Each update is one event whose
 * id is the update's; a snapshot is one {@code snapshot} event carrying the id it is current up to.
 * A browser's {@code EventSource} reconnects by itself with {@code Last-Event-ID}, and gets what it
 * missed.
 *
 * <pre>
 * id: 1764640800000123
 * data: {"panel":"node-health","key":"h100-a|node-7","value":{...}}
 * </pre>
 *
 * One thread pumps every stream; writes are asynchronous and at most one per stream is in flight,
 * so a slow browser only lets its (bounded, latest-value) pending updates pile up.
 */
public final class EventStreamHandler extends Handler.Abstract implements AutoCloseable {

    /** The path it answers. */
    public static final String PATH = "/events";

    private static final Duration PUMP_EVERY = Duration.ofMillis(100);
    private static final Duration KEEPALIVE_EVERY = Duration.ofSeconds(15);

    private final UpdateHub hub;
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService pump;

    public EventStreamHandler(UpdateHub hub) {
        this.hub = hub;
        this.pump =
                Executors.newSingleThreadScheduledExecutor(
                        runnable -> {
                            Thread thread = new Thread(runnable, "dashboard-events");
                            thread.setDaemon(true);
                            return thread;
                        });
        pump.scheduleWithFixedDelay(
                this::pumpAll, PUMP_EVERY.toMillis(), PUMP_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!PATH.equals(Request.getPathInContext(request))) {
            return false;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Stream stream =
                new Stream(
                        hub.subscribe(lastEventId(request.getHeaders().get("Last-Event-ID"))),
                        response,
                        callback);
        streams.add(stream);
        stream.write("retry: 2000\n\n");
        return true;
    }

    /** Browsers connected now. */
    public int streamCount() {
        return streams.size();
    }

    @Nullable
    static Long lastEventId(@Nullable String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return null; // not one of ours: start from a snapshot
        }
    }

    private void pumpAll() {
        for (Stream stream : streams) {
            try {
                stream.pump();
            } catch (RuntimeException e) {
                stream.fail(e);
            }
        }
    }

    /** The SSE text of one batch. */
    static String format(Subscriber.Batch batch) {
        StringBuilder text = new StringBuilder();
        if (batch.snapshot() != null) {
            text.append("id: ").append(batch.snapshot().lastId()).append('\n');
            text.append("event: snapshot\n");
            text.append("data: {\"updates\":[");
            boolean first = true;
            for (Update update : batch.snapshot().updates()) {
                if (!first) {
                    text.append(',');
                }
                first = false;
                appendJson(text, update);
            }
            text.append("]}\n\n");
        }
        for (Update update : batch.updates()) {
            text.append("id: ").append(update.id()).append('\n');
            text.append("data: ");
            appendJson(text, update);
            text.append("\n\n");
        }
        return text.toString();
    }

    private static void appendJson(StringBuilder text, Update update) {
        JsonStringEncoder quote = JsonStringEncoder.getInstance();
        text.append("{\"id\":").append(update.id());
        text.append(",\"panel\":\"").append(quote.quoteAsString(update.panel()));
        text.append("\",\"key\":\"").append(quote.quoteAsString(update.key()));
        // Values are Jackson-written JSON: one line, control characters escaped.
        text.append("\",\"value\":").append(update.json()).append('}');
    }

    @Override
    public void close() {
        pump.shutdownNow();
        for (Stream stream : streams) {
            stream.end();
        }
    }

    @Override
    protected void doStop() throws Exception {
        close();
        super.doStop();
    }

    private final class Stream {
        private final Subscriber subscriber;
        private final Response response;
        private final Callback done;
        private final AtomicBoolean writing = new AtomicBoolean();
        private volatile long lastWriteNanos = System.nanoTime();

        Stream(Subscriber subscriber, Response response, Callback done) {
            this.subscriber = subscriber;
            this.response = response;
            this.done = done;
        }

        void pump() {
            if (writing.get()) {
                return;
            }
            Subscriber.Batch batch = subscriber.take();
            if (batch != null) {
                write(format(batch));
            } else if (System.nanoTime() - lastWriteNanos > KEEPALIVE_EVERY.toNanos()) {
                write(": keepalive\n\n"); // also finds browsers that went away
            }
        }

        void write(String text) {
            if (!writing.compareAndSet(false, true)) {
                return;
            }
            lastWriteNanos = System.nanoTime();
            response.write(
                    false,
                    ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)),
                    Callback.from(() -> writing.set(false), this::fail));
        }

        void fail(Throwable failure) {
            if (streams.remove(this)) {
                subscriber.close();
                done.failed(failure);
            }
        }

        void end() {
            if (streams.remove(this)) {
                subscriber.close();
                done.succeeded();
            }
        }
    }
}
