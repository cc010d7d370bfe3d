package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalWarehouseFileSystemTest {

    @TempDir Path dir;

    @Test
    void mapsEveryPermissionBitAsChmodWould() {
        for (String octal : new String[] {"0644", "0755", "0700", "0000", "0777", "0640", "1777"}) {
            FsPermission permission = new FsPermission(octal);
            String expected = permission.toString().substring(0, 9).replace('t', 'x');
            assertThat(PosixFilePermissions.toString(LocalWarehouseFileSystem.posix(permission)))
                    .as(octal)
                    .isEqualTo(expected);
        }
    }

    @Test
    void createsFilesWithTheirPermissionAndNoChecksumFile() throws Exception {
        Configuration conf = new Configuration();
        try (LocalWarehouseFileSystem fs = new LocalWarehouseFileSystem()) {
            fs.initialize(java.net.URI.create("file:///"), conf);
            org.apache.hadoop.fs.Path file =
                    new org.apache.hadoop.fs.Path(dir.toUri() + "/a/b.bin");
            try (FSDataOutputStream out =
                    fs.create(
                            file, new FsPermission("0640"), true, 4096, (short) 1, 1 << 20, null)) {
                out.write(new byte[] {1, 2, 3});
            }
            Path written = dir.resolve("a/b.bin");
            assertThat(Files.readAllBytes(written)).containsExactly(1, 2, 3);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(written)))
                    .isEqualTo("rw-r-----");
            try (var listing = Files.list(dir.resolve("a"))) {
                assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("b.bin");
            }
        }
    }

    @Test
    void renamingAFileNeverReplacesAnother() throws Exception {
        try (LocalWarehouseFileSystem fs = new LocalWarehouseFileSystem()) {
            fs.initialize(java.net.URI.create("file:///"), new Configuration());
            Path first = Files.writeString(dir.resolve("first.tmp"), "commit A");
            Path second = Files.writeString(dir.resolve("second.tmp"), "commit B");
            org.apache.hadoop.fs.Path version = hadoop(dir.resolve("v2.metadata.json"));

            assertThat(fs.rename(hadoop(first), version)).isTrue();
            // A second commit of the same version loses instead of erasing the first.
            assertThat(fs.rename(hadoop(second), version)).isFalse();

            assertThat(Files.readString(dir.resolve("v2.metadata.json"))).isEqualTo("commit A");
            assertThat(first).doesNotExist();
            assertThat(second).hasContent("commit B");
        }
    }

    @Test
    void renamingIntoADirectoryStillMovesTheFileThere() throws Exception {
        try (LocalWarehouseFileSystem fs = new LocalWarehouseFileSystem()) {
            fs.initialize(java.net.URI.create("file:///"), new Configuration());
            Path file = Files.writeString(dir.resolve("data.parquet"), "rows");
            Path target = Files.createDirectory(dir.resolve("table"));

            assertThat(fs.rename(hadoop(file), hadoop(target))).isTrue();

            assertThat(target.resolve("data.parquet")).hasContent("rows");
            assertThat(file).doesNotExist();
        }
    }

    private static org.apache.hadoop.fs.Path hadoop(Path path) {
        return new org.apache.hadoop.fs.Path(path.toUri());
    }
}
