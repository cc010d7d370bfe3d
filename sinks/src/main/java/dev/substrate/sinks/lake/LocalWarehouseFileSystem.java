package dev.substrate.sinks.lake;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
 *
 * <p>Renaming a file never replaces another one, as on HDFS. {@code RawLocalFileSystem} renames
 * with {@code File.renameTo}, which on Linux silently replaces the destination. Iceberg's Hadoop
 * catalog commits a table version by renaming its metadata file to the next version's name. It
 * checks first that the name is free, under an in-memory lock. But that lock is one static map per
 * JVM, and closing any Hadoop catalog clears it. So two commits to one table in the same JVM could
 * both pass the check, and the second rename would erase the first commit. Here the second rename
 * fails and that commit is retried.
 */
public class LocalWarehouseFileSystem extends RawLocalFileSystem {

    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /**
     * Renames a file only if nothing exists at {@code dst}, atomically: a hard link fails when the
     * name is taken. Directories, and file systems without hard links, keep Hadoop's behaviour.
     *
     * @return false when {@code dst} already exists
     */
    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        java.nio.file.Path from = pathToFile(src).toPath();
        java.nio.file.Path to = pathToFile(dst).toPath();
        if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(to)) {
            return super.rename(src, dst);
        }
        try {
            Files.createLink(to, from);
        } catch (FileAlreadyExistsException taken) {
            return false;
        } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
            return super.rename(src, dst);
        }
        Files.delete(from);
        return true;
    }

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
