package io.dbbudget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the floors of the code apart, read from the imports of every main source file: the
 * budget arithmetic and the advisor know nothing of Spring or a driver, nothing reaches up into
 * the auto-configuration, and the packages that every other one uses import none of them back.
 */
class PackageFloorsTests {

	private static final Path SOURCES = Path.of("src/main/java");

	private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);

	private static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)[\\w.*]*;", Pattern.MULTILINE);

	private static final Predicate<String> SPRING_OR_DRIVER = (name) -> name.startsWith("org.springframework.")
			|| name.startsWith("java.sql.") || name.startsWith("javax.sql.") || name.startsWith("com.zaxxer.")
			|| name.startsWith("org.postgresql.") || name.startsWith("org.mariadb.") || name.startsWith("com.mysql.");

	@Test
	void budgetAndAdvisorImportNoSpringAndNoJdbc() {
		assertThat(importsOf("io.dbbudget.budget")).noneMatch(SPRING_OR_DRIVER)
			.noneMatch((name) -> name.startsWith("io.dbbudget.") && !name.startsWith("io.dbbudget.budget."));
		assertThat(importsOf("io.dbbudget.advisor")).noneMatch(SPRING_OR_DRIVER)
			.noneMatch((name) -> name.startsWith("io.dbbudget.") && !name.startsWith("io.dbbudget.budget.")
					&& !name.startsWith("io.dbbudget.advisor."));
	}

	@Test
	void nothingBelowTheAutoConfigurationImportsIt() {
		sources().filter((source) -> !source.packageName().equals("io.dbbudget.autoconfigure"))
			.forEach((source) -> assertThat(source.imports()).as(source.path().toString())
				.noneMatch((name) -> name.startsWith("io.dbbudget.autoconfigure.")));
	}

	@Test
	void sharedFloorsImportNoneOfTheirUsers() {
		assertThat(importsOf("io.dbbudget.scheduling")).noneMatch((name) -> name.startsWith("io.dbbudget."));
		assertThat(importsOf("io.dbbudget.retry")).noneMatch((name) -> name.startsWith("io.dbbudget.server."))
			.noneMatch((name) -> name.startsWith("io.dbbudget.pool."));
		assertThat(importsOf("io.dbbudget.gate")).noneMatch((name) -> name.startsWith("io.dbbudget.retry."));
	}

	private static List<String> importsOf(String packageName) {
		List<Source> sources = sources().filter((source) -> source.packageName().equals(packageName)).toList();
		assertThat(sources).as("sources of " + packageName).isNotEmpty();
		return sources.stream().flatMap((source) -> source.imports().stream()).distinct().toList();
	}

	private static Stream<Source> sources() {
		assertThat(SOURCES).as("main sources, from the module's directory").isDirectory();
		try (Stream<Path> paths = Files.walk(SOURCES)) {
			return paths.filter((path) -> path.toString().endsWith(".java")).map(Source::read).toList().stream();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private record Source(Path path, String packageName, List<String> imports) {

		static Source read(Path path) {
			try {
				String text = Files.readString(path);
				Matcher packageName = PACKAGE.matcher(text);
				assertThat(packageName.find()).as("package of " + path).isTrue();
				List<String> imports = IMPORT.matcher(text).results().map((result) -> result.group(1)).toList();
				return new Source(path, packageName.group(1), imports);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	}

}
