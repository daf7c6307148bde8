package dev.carousel.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure docs/architecture.md describes, checked on the compiled classes: no cycle between the
 * packages of {@code dev.carousel}, and the engine's packages ({@code nn}, {@code data}, {@code optim},
 * {@code stats}) free of Spark and of the packages that use them, {@code io} (JSON, folders renamed into place)
 * a leaf that uses no other Carousel package, and {@code ml} (the Spark ML API) a top layer beside {@code cli}: it
 * uses the layers below the commands and nothing uses it.
 */
class ArchitectureTest {
    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.carousel");
    }

    @Test
    void packagesFormNoCycle() {
        slices().matching("dev.carousel.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theEngineDependsOnNeitherSparkNorItsUsers() {
        noClasses().that().resideInAnyPackage("dev.carousel.nn..", "dev.carousel.data..", "dev.carousel.optim..",
                        "dev.carousel.stats..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "org.apache.hadoop..",
                        "dev.carousel.spark..", "dev.carousel.sweep..", "dev.carousel.report..", "dev.carousel.store..",
                        "dev.carousel.experiment..", "dev.carousel.cli..", "dev.carousel.ml..")
                .check(classes);
    }

    @Test
    void theMlApiSitsBesideTheCliAndNothingUsesIt() {
        noClasses().that().resideOutsideOfPackage("dev.carousel.ml..")
                .should().dependOnClassesThat().resideInAPackage("dev.carousel.ml..")
                .check(classes);
        noClasses().that().resideInAPackage("dev.carousel.ml..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.carousel.cli..", "dev.carousel.sweep..",
                        "dev.carousel.experiment..", "dev.carousel.report..")
                .check(classes);
    }

    @Test
    void reportAndExperimentReadResultsThroughTheStoreNotTheSweep() {
        noClasses().that().resideInAnyPackage("dev.carousel.report..", "dev.carousel.experiment..", "dev.carousel.store..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.carousel.sweep..", "dev.carousel.cli..")
                .check(classes);
    }

    /** The scaling model is arithmetic on measured parts: Spark is what it models, not what it uses. */
    @Test
    void theScalingModelUsesNoSpark() {
        noClasses().that().resideInAPackage("dev.carousel.scaling..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.spark..", "dev.carousel.spark..",
                        "dev.carousel.sweep..", "dev.carousel.cli..", "dev.carousel.ml..")
                .check(classes);
    }

    @Test
    void ioIsALeaf() {
        noClasses().that().resideInAPackage("dev.carousel.io..")
                .should().dependOnClassesThat(resideInAPackage("dev.carousel..")
                        .and(not(resideInAPackage("dev.carousel.io.."))))
                .check(classes);
    }
}
