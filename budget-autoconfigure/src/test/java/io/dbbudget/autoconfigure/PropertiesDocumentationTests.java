package io.dbbudget.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.jayway.jsonpath.JsonPath;

/**
 * Every property of the starter's configuration metadata has exactly one row in
 * {@code docs/configuration.md}, and every row there names a property the metadata knows, so the
 * user's page cannot drift from the code. The metadata is what spring-boot-configuration-processor
 * generates at compile time, merged with {@code additional-spring-configuration-metadata.json}.
 * No database needed.
 */
class PropertiesDocumentationTests {

	/** Surefire runs with the module as working directory; the page is the repository's. */
	private static final Path DOCUMENTATION = Path.of("..", "docs", "configuration.md");

	private static final Path GENERATED = Path.of("target", "classes", "META-INF", "spring-configuration-metadata.json");

	private static final Path ADDITIONAL = Path.of("src", "main", "resources", "META-INF",
			"additional-spring-configuration-metadata.json");

	/**
	 * A table row whose first cell starts with a property in backticks: {@code | `db.budget.xyz` |}.
	 * A map property is documented by its entries, {@code `db.budget.pools.<bean-name>.weight`},
	 * which count as a row for {@code db.budget.pools}.
	 */
	private static final Pattern ROW = Pattern.compile("^\\|\\s*`([a-z][a-z0-9.-]*?)(\\.<[^`]*)?`");

	@Test
	void everyPropertyHasExactlyOneRowInTheConfigurationPage() throws IOException {
		Set<String> properties = properties();
		assertThat(properties).as("properties in %s", GENERATED.toAbsolutePath().normalize())
			.contains("db.budget.instances");
		Map<String, Integer> rows = documentedRows();

		List<String> missing = new ArrayList<>();
		List<String> duplicated = new ArrayList<>();
		for (String property : properties) {
			int count = rows.getOrDefault(property, 0);
			if (count == 0) {
				missing.add(property);
			}
			else if (count > 1) {
				duplicated.add(property + " (" + count + " rows)");
			}
		}
		List<String> unknown = rows.keySet().stream()
			.filter((name) -> name.startsWith("db.budget.") || name.startsWith("management."))
			.filter((name) -> !properties.contains(name))
			.toList();

		assertThat(missing.isEmpty() && duplicated.isEmpty() && unknown.isEmpty())
			.as("%s must document every property of the configuration metadata in exactly one table row"
					+ " (| `name` | default | meaning |).%n  missing: %s%n  duplicated: %s%n  not in the metadata: %s",
					DOCUMENTATION.toAbsolutePath().normalize(), missing, duplicated, unknown)
			.isTrue();
	}

	private static Set<String> properties() throws IOException {
		assertThat(GENERATED).as("generated metadata (compile the module first)").exists();
		Set<String> names = new TreeSet<>(names(GENERATED));
		if (Files.exists(ADDITIONAL)) {
			names.addAll(names(ADDITIONAL));
		}
		return names;
	}

	private static List<String> names(Path metadata) throws IOException {
		String json = Files.readString(metadata, StandardCharsets.UTF_8);
		List<String> names = JsonPath.read(json, "$.properties[*].name");
		return names;
	}

	private static Map<String, Integer> documentedRows() throws IOException {
		assertThat(DOCUMENTATION).as("the configuration page, from the module directory").exists();
		Map<String, Integer> rows = new TreeMap<>();
		for (String line : Files.readAllLines(DOCUMENTATION, StandardCharsets.UTF_8)) {
			Matcher row = ROW.matcher(line.strip());
			if (row.find()) {
				rows.merge(row.group(1), 1, Integer::sum);
			}
		}
		return rows;
	}

}
