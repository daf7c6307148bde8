package dev.carousel.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every reference a reader follows resolves inside the repository: relative links in the Markdown documents, the
 * repository paths they name in code spans ({@code `conf/sweeps/forget-gate.conf`}), and the {@code .md} files that
 * Javadoc and comments name.
 */
class DocumentLinksTest {
    static final Path ROOT = Path.of("").toAbsolutePath();
    /** Top-level entries of the repository: a code span starting with one of them names a repository file. */
    static final Set<String> TOP = Set.of("src", "conf", "jobs", "docs", "bench", "docker", ".ci", "pom.xml",
            "README.md", "BENCHMARKS.md", "CONTRIBUTING.md");
    static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    static final Pattern CODE = Pattern.compile("`([^`\\s]+)`");
    static final Pattern MD_NAME = Pattern.compile("([A-Za-z0-9_./-]*[A-Za-z0-9_-]+\\.md)\\b");

    static List<Path> markdown() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(ROOT)) {
            s.filter(p -> p.toString().endsWith(".md")).forEach(out::add);
        }
        try (Stream<Path> s = Files.walk(ROOT.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).forEach(out::add);
        }
        return out;
    }

    @Test
    void everyRelativeLinkAndRepositoryPathInTheDocumentsExists() throws IOException {
        List<String> broken = new ArrayList<>();
        List<Path> docs = markdown();
        assertTrue(docs.size() >= 4, "README, BENCHMARKS, CONTRIBUTING and docs/: " + docs);
        int checked = 0;
        for (Path md : docs) {
            String text = Files.readString(md);
            Matcher link = LINK.matcher(text);
            while (link.find()) {
                String target = link.group(1).replaceFirst("#.*", "");
                if (target.isEmpty() || target.matches("[a-z]+:.*")) {
                    continue; // an anchor in the same page, or a URL
                }
                checked++;
                if (!Files.exists(md.getParent().resolve(target))) {
                    broken.add(ROOT.relativize(md) + ": link " + link.group(1));
                }
            }
            Matcher code = CODE.matcher(text);
            while (code.find()) {
                String path = code.group(1).replaceFirst("[:#].*", "").replaceFirst("/$", "");
                String first = path.split("/")[0];
                if (!TOP.contains(first) || path.matches(".*[*<>$].*") || path.contains("target/") || placeholder(path)) {
                    continue;
                }
                checked++;
                if (!Files.exists(ROOT.resolve(path))) {
                    broken.add(ROOT.relativize(md) + ": names " + code.group(1));
                }
            }
        }
        assertTrue(checked > 20, "found only " + checked + " references: is the pattern right?");
        assertEquals(List.of(), broken);
    }

    /** Whether a path holds a placeholder segment such as {@code NAME} in {@code conf/experiments/NAME.conf}. */
    static boolean placeholder(String path) {
        for (String segment : path.split("/")) {
            String stem = segment.replaceFirst("\\.[a-z]+$", "");
            if (!segment.endsWith(".md") && stem.length() >= 3 && stem.matches("[A-Z_]+")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Documents the sources name: a {@code .md} file whose name starts with a capital ({@code README.md},
     * {@code BENCHMARKS.md}) or that lies under {@code docs/}. Lower-case names ({@code summary.md}) are files a
     * command writes, not documents.
     */
    @Test
    void everyMarkdownFileTheSourcesNameExists() throws IOException {
        List<String> broken = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> s = Files.walk(ROOT.resolve("src"))) {
            sources = s.filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".conf")).toList();
        }
        List<Path> confs;
        try (Stream<Path> s = Files.walk(ROOT.resolve("conf"))) {
            confs = s.filter(p -> p.toString().endsWith(".conf")).toList();
        }
        int checked = 0;
        for (Path f : Stream.concat(sources.stream(), confs.stream()).toList()) {
            Matcher m = MD_NAME.matcher(Files.readString(f));
            while (m.find()) {
                String name = m.group(1);
                String base = name.substring(name.lastIndexOf('/') + 1);
                if (name.startsWith("/") || name.contains("://")
                        || !(Character.isUpperCase(base.charAt(0)) || name.startsWith("docs/"))) {
                    continue;
                }
                checked++;
                boolean exists = Stream.of(ROOT, ROOT.resolve("docs"), f.getParent(), ROOT.resolve("src/test/resources"),
                        ROOT.resolve("src/main/resources")).anyMatch(d -> Files.exists(d.resolve(name)));
                if (!exists) {
                    broken.add(ROOT.relativize(f) + ": names " + name);
                }
            }
        }
        assertTrue(checked >= 3, "found only " + checked + " .md references");
        assertEquals(List.of(), broken.stream().distinct().toList());
    }
}
