package dev.carousel.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a directory so that readers see either nothing or all of it: files go into a hidden staging
 * directory beside the target (inside the same parent, so inside the output folder), which is then
 * renamed onto the target in one atomic rename. A crash leaves only a {@code .staging-*} directory,
 * which {@link #cleanStale(Path)} removes.
 */
public final class AtomicDirectory implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private boolean committed;

    private AtomicDirectory(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /** Starts writing {@code target}; its parent is created if needed. */
    public static AtomicDirectory begin(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
            Path staging = parent.resolve(".staging-" + target.getFileName() + "-" + UUID.randomUUID());
            Files.createDirectory(staging);
            return new AtomicDirectory(target, staging);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory in " + parent + ": " + e.getMessage(), e);
        }
    }

    /** Where to write the directory's contents before {@link #commit()}. */
    public Path staging() {
        return staging;
    }

    /**
     * Renames the staging directory onto the target. An existing target is replaced: it is first moved
     * aside (readers then briefly see no target rather than a mixed one) and deleted after the rename.
     */
    public void commit() {
        try {
            Path old = null;
            if (Files.exists(target)) {
                old = target.resolveSibling(".replaced-" + target.getFileName() + "-" + UUID.randomUUID());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException | DirectoryNotEmptyException e) {
                throw new IOException("cannot atomically rename " + staging + " to " + target + ": " + e, e);
            }
            committed = true;
            if (old != null) {
                deleteRecursively(old);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("commit of " + target + " failed: " + e.getMessage(), e);
        }
    }

    /** Discards the staging directory unless committed. */
    @Override
    public void close() {
        if (!committed) {
            deleteRecursively(staging);
        }
    }

    /** Removes staging and replaced directories left by a crash inside {@code parent}. */
    public static void cleanStale(Path parent) {
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (Stream<Path> children = Files.list(parent)) {
            children.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".staging-") || n.startsWith(".replaced-");
            }).forEach(AtomicDirectory::deleteRecursively);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }
}
