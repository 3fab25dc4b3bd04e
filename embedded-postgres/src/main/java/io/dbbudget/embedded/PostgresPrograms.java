package io.dbbudget.embedded;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * Runs the PostgreSQL server programs of one bin directory ({@code initdb}, {@code pg_ctl}).
 * <p>
 * {@code initdb} and {@code postgres} refuse to run as root. When the JVM runs as root (as it
 * does in CI containers) the programs run through {@code runuser} as an unprivileged user: the
 * {@code postgres} user where the machine has one, else {@code nobody}, which every Linux
 * system has. The directories they write to must then belong to that user
 * ({@link #prepareDirectory(Path)}).
 *
 * @author db-budget team
 */
public final class PostgresPrograms {

	private static final List<String> SERVER_USERS = List.of("postgres", "nobody");

	private final Path binDirectory;

	private final @Nullable UserPrincipal serverUser;

	private PostgresPrograms(Path binDirectory, @Nullable UserPrincipal serverUser) {
		this.binDirectory = binDirectory;
		this.serverUser = serverUser;
	}

	/**
	 * Returns the programs of a bin directory, run as this JVM's user or, when that is root, as an
	 * unprivileged user.
	 * @param binDirectory the directory with {@code initdb} and {@code pg_ctl}
	 * @return the programs
	 */
	public static PostgresPrograms of(Path binDirectory) {
		return new PostgresPrograms(binDirectory, isRoot() ? unprivilegedUser() : null);
	}

	private static boolean isRoot() {
		return "root".equals(System.getProperty("user.name")) || "0".equals(output("id", "-u"));
	}

	/**
	 * Runs a command that prints one line, such as {@code pg_config --bindir}.
	 * @param command the command and its arguments
	 * @return what it printed, or {@code null} if it is missing, failed or took over 10 s
	 */
	// Reading before waiting cannot block on a full pipe: the command prints a line
	public static @Nullable String output(String... command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			process.getOutputStream().close();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
			if (!process.waitFor(10, TimeUnit.SECONDS)) {
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

	private static UserPrincipal unprivilegedUser() {
		var users = Path.of("/").getFileSystem().getUserPrincipalLookupService();
		for (String name : SERVER_USERS) {
			try {
				return users.lookupPrincipalByName(name);
			}
			catch (UserPrincipalNotFoundException ex) {
				// Try the next one.
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not look up user " + name, ex);
			}
		}
		throw new IllegalStateException("PostgreSQL refuses to run as root and this machine has none of the users "
				+ SERVER_USERS + " to run it as; run as another user or create one of them");
	}

	/**
	 * Returns the user the programs run as, for messages.
	 * @return the user name, or this JVM's user
	 */
	public String user() {
		return (this.serverUser != null) ? this.serverUser.getName() : System.getProperty("user.name");
	}

	/**
	 * Returns the bin directory.
	 * @return the directory with the programs
	 */
	public Path binDirectory() {
		return this.binDirectory;
	}

	/**
	 * Returns the PostgreSQL version of these programs, as {@code postgres --version} says it.
	 * @return the version, for example {@code 18.1}
	 */
	public String version() {
		// --version is answered before the server's check for root, so no other user is needed.
		String output = output(this.binDirectory.resolve("postgres").toString(), "--version");
		if (output == null) {
			throw new IllegalStateException(this.binDirectory.resolve("postgres") + " --version failed");
		}
		return output.substring(output.lastIndexOf(' ') + 1);
	}

	/**
	 * Makes a fresh, empty directory writable by the programs.
	 * @param directory the directory
	 */
	public void prepareDirectory(Path directory) {
		if (this.serverUser != null) {
			try {
				Files.setOwner(directory, this.serverUser);
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not give " + directory + " to user " + this.serverUser.getName()
						+ " (the server programs refuse to run as root)", ex);
			}
		}
	}

	/**
	 * Runs a program from the bin directory, appending its output to {@code log}.
	 * @param workingDirectory the working directory, which the server user must be able to reach
	 * @param log the file that receives the program's output
	 * @param timeout how long to wait for the program to exit
	 * @param program the program, for example {@code initdb}
	 * @param arguments its arguments
	 * @return the exit code
	 * @throws IllegalStateException if the program does not exit within the timeout
	 */
	public int run(Path workingDirectory, Path log, Duration timeout, String program, String... arguments) {
		List<String> command = commandLine(this.binDirectory.resolve(program).toString(), Arrays.asList(arguments));
		try {
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
	 * Returns the command line that runs a program as these programs run: as the server user
	 * when the JVM runs as root. For other programs that refuse root, such as PgBouncer.
	 * @param program the program's path
	 * @param arguments its arguments
	 * @return the command line
	 */
	public List<String> commandLine(String program, List<String> arguments) {
		List<String> command = new ArrayList<>();
		if (this.serverUser != null) {
			command.addAll(List.of(runuser(), "-u", this.serverUser.getName(), "--"));
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
	 * @param log the file
	 * @return its last 30 lines, with a heading
	 */
	public static String tail(Path log) {
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

	@Override
	public String toString() {
		return this.binDirectory + " as " + user();
	}

}
