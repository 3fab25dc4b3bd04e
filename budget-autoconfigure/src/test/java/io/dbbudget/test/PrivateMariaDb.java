package io.dbbudget.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.dbbudget.embedded.Directories;
import io.dbbudget.embedded.PostgresPrograms;
import org.jspecify.annotations.Nullable;

/**
 * A private MariaDB server for tests that need their own settings (such as
 * {@code max_connections}, or {@code performance_schema}) or that shut the server down.
 * <p>
 * Each server gets a fresh temporary directory (data directory, socket, logs) made by
 * {@code mariadb-install-db}, and a free port on {@code 127.0.0.1}. {@code root} connects over
 * TCP without a password. It runs the installed {@code mariadbd} (Debian's
 * {@code mariadb-server}); servers that are not closed are stopped when the JVM exits.
 */
public final class PrivateMariaDb implements MariaDbServer, AutoCloseable {

	/** The admin user, who connects without a password. */
	public static final String USERNAME = "root";

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static final List<String> PROGRAM_DIRECTORIES = List.of("/usr/sbin", "/usr/bin", "/usr/local/bin",
			"/usr/local/sbin", "/usr/libexec");

	private static final Set<PrivateMariaDb> unclosed = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(PrivateMariaDb::closeUnclosed, "private-mariadb-cleanup"));
	}

	private final Path directory;

	private final Map<String, String> settings;

	private final int port;

	private @Nullable Process process;

	private boolean closed;

	private PrivateMariaDb(Path directory, Map<String, String> settings) {
		this.directory = directory;
		this.settings = settings;
		this.port = PrivateServer.allocatePort();
	}

	/**
	 * Returns a builder for a private server.
	 * @return the builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	private static PrivateMariaDb create(Map<String, String> settings) {
		Path directory;
		try {
			directory = Files.createTempDirectory("dbb-mariadb-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not create a directory for a private MariaDB server", ex);
		}
		PrivateMariaDb server = new PrivateMariaDb(directory, settings);
		unclosed.add(server);
		try {
			server.install();
			server.start();
			return server;
		}
		catch (RuntimeException ex) {
			server.close();
			throw ex;
		}
	}

	private void install() {
		// --user: mariadbd refuses to run as root unless told to; as another user it ignores it
		Process install = run(List.of(program("mariadb-install-db"), "--no-defaults",
				"--datadir=" + this.directory.resolve("data"), "--user=" + System.getProperty("user.name"),
				"--auth-root-authentication-method=normal", "--skip-test-db"), this.directory.resolve("install.log"));
		try {
			if (!install.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS) || install.exitValue() != 0) {
				install.destroyForcibly();
				throw failure("mariadb-install-db failed", "install.log");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while installing " + this, ex);
		}
	}

	/**
	 * Starts the server (again, after {@link #shutdown()}) and waits until it accepts
	 * connections.
	 */
	public synchronized void start() {
		assertNotClosed();
		List<String> command = new ArrayList<>(List.of(program("mariadbd"), "--no-defaults",
				"--datadir=" + this.directory.resolve("data"), "--user=" + System.getProperty("user.name"),
				"--port=" + this.port, "--bind-address=127.0.0.1", "--socket=" + this.directory.resolve("mariadb.sock"),
				"--pid-file=" + this.directory.resolve("mariadb.pid"),
				"--log-error=" + this.directory.resolve("error.log"), "--skip-name-resolve",
				"--innodb-buffer-pool-size=16M", "--skip-log-bin"));
		this.settings.forEach((name, value) -> command.add("--" + name + "=" + value));
		this.process = run(command, this.directory.resolve("server.log"));
		awaitConnection();
	}

	private void awaitConnection() {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		while (true) {
			try (Connection connection = openAdminConnection()) {
				return;
			}
			catch (SQLException ex) {
				if (System.nanoTime() > deadline || this.process == null || !this.process.isAlive()) {
					throw failure("Server does not accept connections on port " + this.port + ": " + ex.getMessage(),
							"error.log");
				}
			}
			sleep(100);
		}
	}

	/**
	 * Shuts the server down with {@code SHUTDOWN} (sessions are ended, statements in flight
	 * fail) and waits until its process has exited.
	 */
	public synchronized void shutdown() {
		assertNotClosed();
		Process running = this.process;
		if (running == null || !running.isAlive()) {
			return;
		}
		try (Connection connection = openAdminConnection(); Statement statement = connection.createStatement()) {
			statement.execute("SHUTDOWN");
		}
		catch (SQLException ex) {
			// The server may end this session before it answers
		}
		awaitExit(running);
	}

	private void awaitExit(Process running) {
		try {
			if (!running.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				running.destroyForcibly().waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			running.destroyForcibly();
		}
		this.process = null;
	}

	/**
	 * Returns whether the server's process runs.
	 * @return whether it runs
	 */
	public synchronized boolean isRunning() {
		return this.process != null && this.process.isAlive();
	}

	/**
	 * Returns the server's port on {@code 127.0.0.1}.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	@Override
	public String hostAndPort() {
		return "127.0.0.1:" + this.port;
	}

	@Override
	public Connection openAdminConnection() throws SQLException {
		return Connections.openMySql(jdbcUrl(MySqlDriver.MARIADB, "mysql"), USERNAME, null);
	}

	/**
	 * Stops the server if it runs (its process is ended) and deletes its directory.
	 */
	@Override
	public synchronized void close() {
		if (this.closed) {
			return;
		}
		try {
			Process running = this.process;
			if (running != null && running.isAlive()) {
				// SIGTERM: mariadbd shuts down cleanly on it
				running.destroy();
				awaitExit(running);
			}
		}
		finally {
			this.closed = true;
			unclosed.remove(this);
			Directories.delete(this.directory);
		}
	}

	private static void closeUnclosed() {
		for (PrivateMariaDb server : unclosed) {
			try {
				server.close();
			}
			catch (RuntimeException ex) {
				System.err.println("Could not stop " + server + ": " + ex.getMessage());
			}
		}
	}

	private static String program(String name) {
		return Stream
			.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(":")), PROGRAM_DIRECTORIES.stream())
			.filter((directory) -> !directory.isEmpty())
			.map((directory) -> Path.of(directory, name))
			.filter(Files::isExecutable)
			.findFirst()
			.map(Path::toString)
			.orElseThrow(() -> new IllegalStateException("No '" + name + "' on PATH or in " + PROGRAM_DIRECTORIES
					+ ": install MariaDB's server (on Debian: apt-get install -y mariadb-server; "
					+ "'bash .ci/run' does) for the tests that run a private MariaDB"));
	}

	private static Process run(List<String> command, Path log) {
		try {
			return new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not run " + command, ex);
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for a private MariaDB", ex);
		}
	}

	private void assertNotClosed() {
		if (this.closed) {
			throw new IllegalStateException(this + " is closed");
		}
	}

	private IllegalStateException failure(String message, String log) {
		return new IllegalStateException(message + " (" + this + ")" + System.lineSeparator()
				+ PostgresPrograms.tail(this.directory.resolve(log)));
	}

	@Override
	public String toString() {
		return "private MariaDB on 127.0.0.1:" + this.port + " in " + this.directory;
	}

	/**
	 * Builds a {@link PrivateMariaDb}.
	 */
	public static final class Builder {

		private final Map<String, String> settings = new LinkedHashMap<>();

		private Builder() {
		}

		/**
		 * Sets {@code max_connections} (MariaDB's smallest is 10).
		 * @param maxConnections the maximum number of connections
		 * @return this builder
		 */
		public Builder maxConnections(int maxConnections) {
			return setting("max-connections", String.valueOf(maxConnections));
		}

		/**
		 * Sets a server option, as given on {@code mariadbd}'s command line without the dashes.
		 * @param name the option, for example {@code performance-schema}
		 * @param value its value
		 * @return this builder
		 */
		public Builder setting(String name, String value) {
			this.settings.put(name, value);
			return this;
		}

		/**
		 * Installs and starts the server.
		 * @return the running server
		 */
		public PrivateMariaDb start() {
			return create(Map.copyOf(this.settings));
		}

	}

}
