import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sinks.lake.LakeTables;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;

/**
 * Counts the committed rows of every Substrate lake table in a Hadoop-catalog warehouse by reading
 * the data files through the project's LakeReader, so a cluster run is checked the same way the
 * tests check theirs. A single-file Java program, run against the job jar and the cluster's lib/:
 *
 * <pre>
 * java -cp "jobs/target/substrate-jobs-*-job.jar:.substrate/cluster/lib/*" \
 *     deploy/standalone/LakeRowCount.java WAREHOUSE [MIN_ROWS TIMEOUT_SECONDS]
 * </pre>
 *
 * With MIN_ROWS it polls until the tables hold at least that many rows in total (exit 0) or the
 * timeout passes (exit 1); without, it prints the counts once.
 */
public final class LakeRowCount {

    public static void main(String[] args) throws Exception {
        if (args.length != 1 && args.length != 3) {
            System.err.println("usage: LakeRowCount WAREHOUSE [MIN_ROWS TIMEOUT_SECONDS]");
            System.exit(2);
        }
        Catalog catalog = LakeCatalogConfig.hadoop(Path.of(args[0])).loadCatalog();
        long minRows = args.length == 3 ? Long.parseLong(args[1]) : 0;
        long deadline =
                System.nanoTime() + (args.length == 3 ? Long.parseLong(args[2]) : 0) * 1_000_000_000L;
        while (true) {
            Map<String, Long> rows = countAll(catalog);
            long total = rows.values().stream().mapToLong(Long::longValue).sum();
            System.out.println("lake rows " + total + " " + rows);
            if (total >= minRows) {
                System.exit(0);
            }
            if (System.nanoTime() > deadline) {
                System.err.println("fewer than " + minRows + " rows before the timeout");
                System.exit(1);
            }
            Thread.sleep(2000);
        }
    }

    private static Map<String, Long> countAll(Catalog catalog) {
        Map<String, Long> rows = new TreeMap<>();
        Namespace namespace = Namespace.of(LakeTables.NAMESPACE);
        if (catalog instanceof SupportsNamespaces namespaces
                && !namespaces.namespaceExists(namespace)) {
            return rows;
        }
        for (TableIdentifier table : catalog.listTables(namespace)) {
            rows.put(table.name(), LakeReader.countRows(catalog, table.toString()));
        }
        return rows;
    }
}
