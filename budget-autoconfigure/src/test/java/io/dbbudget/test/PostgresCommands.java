package io.dbbudget.test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * Runs the installed PostgreSQL server programs ({@code initdb}, {@code pg_ctl}).
 * <p>
 * {@code initdb} and {@code postgres} refuse to run as root, so when the JVM runs as root (as it
 * does in CI containers) the programs run as the {@code postgres} user through {@code runuser}
 * and the directories they write to must belong to that user.
 */
final class PostgresCommands {

	private static final Path DEBIAN_INSTALLATIONS = Path.of("/usr/lib/postgresql");

	private static final String SERVER_USER = "postgres";

	private static @Nullable PostgresCommands instance;

	private final Path binDirectory;

	private final boolean asServerUser;

	private PostgresCommands(Path binDirectory, boolean asServerUser) {
		this.binDirectory = binDirectory;
		this.asServerUser = asServerUser;
	}

	static synchronized PostgresCommands get() {
		if (instance == null) {
			instance = new PostgresCommands(findBinDirectory(), isRoot());
		}
		return instance;
	}

	private static Path findBinDirectory() {
		Path debian = highestDebianInstallation();
		if (debian != null) {
			return debian;
		}
		String bindir = output(Duration.ofSeconds(10), "pg_config", "--bindir");
		if (bindir != null && Files.isExecutable(Path.of(bindir.trim(), "initdb"))) {
			return Path.of(bindir.trim());
		}
		throw new IllegalStateException("No PostgreSQL server programs (initdb, pg_ctl) found in "
				+ DEBIAN_INSTALLATIONS + "/<version>/bin or in 'pg_config --bindir'. Install PostgreSQL, "
				+ "for example with 'apt-get install -y postgresql' (or run 'bash .ci/run').");
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

	private static boolean isRoot() {
		if ("root".equals(System.getProperty("user.name"))) {
			return true;
		}
		String uid = output(Duration.ofSeconds(10), "id", "-u");
		return uid != null && uid.trim().equals("0");
	}

	private static @Nullable String output(Duration timeout, String... command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			process.getOutputStream().close();
			// These commands print a line, so reading before waiting cannot block on a full pipe.
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				process.destroyForcibly();
				return null;
			}
			return (process.exitValue() == 0) ? output : null;
		}
		catch (IOException ex) {
			return null;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
	}

	/**
	 * Makes a fresh, empty directory writable by the server programs.
	 */
	void prepareDirectory(Path directory) {
		if (this.asServerUser) {
			try {
				Files.setOwner(directory,
						directory.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SERVER_USER));
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not give " + directory + " to user " + SERVER_USER
						+ " (the server programs refuse to run as root)", ex);
			}
		}
	}

	/**
	 * Runs a program from the bin directory, appending its output to {@code log}.
	 * @return the exit code
	 */
	int run(Path workingDirectory, Path log, Duration timeout, String program, String... arguments) {
		List<String> command = commandLine(this.binDirectory.resolve(program).toString(), Arrays.asList(arguments));
		try {
			// The working directory must be accessible to the server user, or initdb complains.
			// Output goes to a file: pg_ctl start leaves the server running, and the server
			// would keep a pipe open.
			Process process = new ProcessBuilder(command).directory(workingDirectory.toFile())
				.redirectErrorStream(true)
				.redirectOutput(Redirect.appendTo(log.toFile()))
				.redirectInput(Redirect.from(new File("/dev/null")))
				.start();
			if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException(String.join(" ", command) + " did not finish within "
						+ timeout.toSeconds() + " s" + System.lineSeparator() + tail(log));
			}
			return process.exitValue();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not run " + String.join(" ", command), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while running " + String.join(" ", command), ex);
		}
	}

	/**
	 * The command line that runs a program, as the server user when the JVM runs as root.
	 */
	List<String> commandLine(String program, List<String> arguments) {
		List<String> command = new ArrayList<>();
		if (this.asServerUser) {
			command.addAll(List.of(runuser(), "-u", SERVER_USER, "--"));
		}
		command.add(program);
		command.addAll(arguments);
		return command;
	}

	private static String runuser() {
		for (String candidate : List.of("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser")) {
			if (Files.isExecutable(Path.of(candidate))) {
				return candidate;
			}
		}
		return "runuser";
	}

	/**
	 * Returns the last lines of a log file, for failure messages.
	 */
	static String tail(Path log) {
		int lines = 30;
		try {
			if (!Files.exists(log)) {
				return "(no " + log + ")";
			}
			// Lenient decoding: a log with a broken character must not hide the real failure.
			List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
			List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
			return "--- last lines of " + log + " ---" + System.lineSeparator()
					+ String.join(System.lineSeparator(), last);
		}
		catch (IOException ex) {
			return "(could not read " + log + ": " + ex.getMessage() + ")";
		}
	}

}
