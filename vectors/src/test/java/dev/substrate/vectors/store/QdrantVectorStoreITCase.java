package dev.substrate.vectors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.vectors.DocumentFilter;
import dev.substrate.vectors.VectorBatch;
import dev.substrate.vectors.VectorStore;
import dev.substrate.vectors.VectorStoreException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The Qdrant adapter against a real Qdrant in a container (Testcontainers): the same contract as
 * the embedded store, plus BM25 through sparse vectors and a clear error for a wrong address. Where
 * no Docker engine runs (the build machines), every test here is skipped, and the skip says so.
 */
class QdrantVectorStoreITCase extends VectorStoreContract {

    static final String IMAGE = "qdrant/qdrant:v1.13.0";

    private static GenericContainer<?> qdrant;
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();

    static final String NO_DOCKER =
            "SKIPPED: no Docker engine here, and the Qdrant adapter's test needs one to run "
                    + IMAGE
                    + " (Testcontainers); it runs where Docker does";

    @BeforeAll
    static void startQdrant() {
        if (!dockerAvailable()) {
            // Said aloud: Surefire does not print a skipped test's reason.
            System.err.println(QdrantVectorStoreITCase.class.getSimpleName() + " " + NO_DOCKER);
            return;
        }
        qdrant =
                new GenericContainer<>(IMAGE)
                        .withExposedPorts(6333)
                        .waitingFor(Wait.forHttp("/readyz").forPort(6333));
        qdrant.start();
    }

    @AfterAll
    static void stopQdrant() {
        if (qdrant != null) {
            qdrant.stop();
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static String url() {
        return "http://" + qdrant.getHost() + ":" + qdrant.getMappedPort(6333);
    }

    @Override
    VectorStore openEmptyStore() {
        Assumptions.assumeTrue(qdrant != null, NO_DOCKER);
        return QdrantVectorStore.open(url(), "contract-" + COLLECTIONS.incrementAndGet(), null, 3);
    }

    @Test
    void bm25RanksTheDocumentWithMoreOfTheQueryWordsFirst() {
        store.commit(
                VectorBatch.upserting(
                        List.of(
                                doc("a", "log-event", "upstream returned 503 after timeout", 1, 0),
                                doc("b", "log-event", "login failed for a user", 0, 1),
                                doc(
                                        "c",
                                        "log-event",
                                        "upstream 503 503 timeout again upstream",
                                        1,
                                        1))));
        assertThat(ids(store.keyword("upstream timeout", 3, DocumentFilter.none())))
                .containsExactly("c", "a");
        assertThat(store.keyword("nothing matches this", 3, DocumentFilter.none())).isEmpty();
    }

    @Test
    void aCollectionOfAnotherDimensionIsRefused() {
        store.commit(VectorBatch.upserting(List.of(doc("a", "log-event", "t", 1, 0))));
        String name = "contract-" + COLLECTIONS.get();
        assertThatThrownBy(() -> QdrantVectorStore.open(url(), name, null, 384))
                .isInstanceOf(VectorStoreException.class)
                .hasMessageContaining("holds 3-dimensional vectors");
    }

    @Test
    void anUnreachableQdrantIsAClearError() {
        assertThatThrownBy(() -> QdrantVectorStore.open("http://127.0.0.1:1", "x", null, 3))
                .isInstanceOf(VectorStoreException.class)
                .hasMessageContaining("Cannot reach Qdrant at http://127.0.0.1:1/");
    }
}
