package dev.substrate.sinks.lake;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * The Hadoop file system for {@code file:} warehouses: Hadoop's raw local file system, without the
 * {@code .crc} side file per file (Parquet and Iceberg metadata carry their own checks) and setting
 * permissions with a system call instead of forking {@code chmod}.
 *
 * <p>Without Hadoop's native library (never shipped on Maven Central), {@code RawLocalFileSystem}
 * forks a {@code chmod} process for every file and directory it creates: the pipeline benchmark saw
 * 7,222 forks in 218 s, each as costly as the Parquet file it followed. {@link LakeCatalogConfig}
 * registers this class as {@code fs.file.impl} in every Hadoop configuration it hands to Iceberg.
 */
public class LocalWarehouseFileSystem extends RawLocalFileSystem {

    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
        if (!POSIX) {
            super.setPermission(p, permission);
            return;
        }
        Files.setPosixFilePermissions(pathToFile(p).toPath(), posix(permission));
    }

    /** The POSIX permission bits of a Hadoop permission (sticky bit aside, as chmod 0NNN does). */
    static Set<PosixFilePermission> posix(FsPermission permission) {
        Set<PosixFilePermission> bits = EnumSet.noneOf(PosixFilePermission.class);
        add(
                bits,
                permission.getUserAction(),
                PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE);
        add(
                bits,
                permission.getGroupAction(),
                PosixFilePermission.GROUP_READ,
                PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE);
        add(
                bits,
                permission.getOtherAction(),
                PosixFilePermission.OTHERS_READ,
                PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        return bits;
    }

    private static void add(
            Set<PosixFilePermission> bits,
            FsAction action,
            PosixFilePermission read,
            PosixFilePermission write,
            PosixFilePermission execute) {
        if (action.implies(FsAction.READ)) {
            bits.add(read);
        }
        if (action.implies(FsAction.WRITE)) {
            bits.add(write);
        }
        if (action.implies(FsAction.EXECUTE)) {
            bits.add(execute);
        }
    }
}
