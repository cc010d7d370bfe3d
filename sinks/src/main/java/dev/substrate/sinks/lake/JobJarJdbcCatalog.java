package dev.substrate.sinks.lake;

import java.sql.Driver;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.iceberg.jdbc.JdbcCatalog;

/**
 * Iceberg's JDBC catalog, for a JDBC driver that ships inside the job jar. {@link
 * java.sql.DriverManager} registers the drivers it finds once per JVM, and only hands a driver to
 * code of the class loader that loaded it; on a Flink cluster every submitted job jar gets its own
 * class loader, so from the second submission on (a resume from a savepoint, a job restarted on a
 * long-lived TaskManager) the catalog found "No suitable driver" for {@code jdbc:sqlite:}. This
 * catalog registers the drivers of its own class loader before it connects.
 */
public class JobJarJdbcCatalog extends JdbcCatalog {

    @Override
    public void initialize(String name, Map<String, String> properties) {
        registerDrivers(JobJarJdbcCatalog.class.getClassLoader());
        super.initialize(name, properties);
    }

    /**
     * Registers with {@code DriverManager} the JDBC drivers {@code loader} sees: a JDBC 4 driver
     * registers itself when its class initializes, which loading it through the service loader does
     * (once per class loader).
     */
    public static void registerDrivers(ClassLoader loader) {
        for (Driver ignored : ServiceLoader.load(Driver.class, loader)) {
            // instantiating the driver is what registers it
        }
    }
}
