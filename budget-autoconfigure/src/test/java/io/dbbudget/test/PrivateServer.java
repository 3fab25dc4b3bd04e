package io.dbbudget.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.dbbudget.embedded.Directories;
import io.dbbudget.embedded.PostgresPrograms;

/**
 * A private PostgreSQL server for tests that need their own settings (such as
 * {@code max_connections}) or that stop and restart the server.
 * <p>
 * Each server gets a fresh temporary directory (data directory, Unix socket, logs) and a free
 * port on {@code 127.0.0.1}, so several can run in one JVM. It runs the installed PostgreSQL,
 * or the binaries from Maven Central where none is installed (see {@link PostgresCommands}).
 * The superuser is {@code postgres} and authentication is {@code trust}. Servers that are not
 * closed are stopped when the JVM exits.
 * <pre class="code">
 * try (PrivateServer server = PrivateServer.builder().maxConnections(40).start()) {
 *     DriverManager.getConnection(server.jdbcUrl("postgres"), "postgres", "");
 * }
 * </pre>
 */
public final class PrivateServer implements AutoCloseable {

	/** The name of the superuser. */
	public static final String USERNAME = "postgres";

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static final int PORT_ATTEMPTS = 3;

	private static final Set<PrivateServer> unclosed = ConcurrentHashMap.newKeySet();

	// Ports handed out in this JVM: a closed probe socket's port could otherwise be handed out
	// twice before the first server binds it.
	private static final Set<Integer> allocatedPorts = new HashSet<>();

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(PrivateServer::closeUnclosed, "private-postgres-cleanup"));
	}

	private final PostgresPrograms commands;

	private final Path directory;

	private final Path dataDirectory;

	private final Path serverLog;

	private final Path commandLog;

	private int port;

	private boolean closed;

	private PrivateServer(PostgresPrograms commands, Path directory) {
		this.commands = commands;
		this.directory = directory;
		this.dataDirectory = directory.resolve("data");
		this.serverLog = directory.resolve("server.log");
		this.commandLog = directory.resolve("commands.log");
	}

	/**
	 * Returns a builder for a private server.
	 * @return the builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Creates and starts a private server.
	 * @param settings server settings ({@code postgresql.conf} names and values) on top of the
	 * defaults
	 * @return the running server
	 */
	public static PrivateServer start(Map<String, String> settings) {
		PostgresPrograms commands = PostgresCommands.get();
		Path directory = createDirectory(commands);
		PrivateServer server = new PrivateServer(commands, directory);
		unclosed.add(server);
		try {
			server.initialize(settings);
			server.startOnFreePort();
			return server;
		}
		catch (RuntimeException ex) {
			server.close();
			throw ex;
		}
	}

	private static Path createDirectory(PostgresPrograms commands) {
		try {
			// Under java.io.tmpdir (normally /tmp), which the unprivileged server user can reach when we run
			// as root; a directory below root's home or the build directory might not be.
			Path directory = Files.createTempDirectory("dbb-pg-");
			commands.prepareDirectory(directory);
			return directory;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not create a directory for a private PostgreSQL server", ex);
		}
	}

	private void initialize(Map<String, String> settings) {
		// --no-sync and no locale: fast and independent of the locales installed on the machine.
		int exit = this.commands.run(this.directory, this.commandLog, TIMEOUT, "initdb", "-D",
				this.dataDirectory.toString(), "-U", USERNAME, "-A", "trust", "-E", "UTF8", "--no-locale",
				"--no-sync");
		if (exit != 0) {
			throw failure("initdb failed with exit code " + exit);
		}
		Map<String, String> all = new LinkedHashMap<>();
		all.put("fsync", "off");
		all.put("synchronous_commit", "off");
		all.put("full_page_writes", "off");
		// Several servers may run at once on a small CI machine.
		all.put("shared_buffers", "32MB");
		all.putAll(settings);
		// Last, so that they win: the server must stay private to this test.
		all.put("listen_addresses", "127.0.0.1");
		all.put("unix_socket_directories", this.directory.toString());
		StringBuilder conf = new StringBuilder(System.lineSeparator() + "# PrivateServer" + System.lineSeparator());
		all.forEach((name, value) -> conf.append(setting(name, value)).append(System.lineSeparator()));
		try {
			// Later lines of postgresql.conf override earlier ones, so appending is enough.
			Files.writeString(this.dataDirectory.resolve("postgresql.conf"), conf, StandardCharsets.UTF_8,
					StandardOpenOption.APPEND);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not write postgresql.conf in " + this.dataDirectory, ex);
		}
	}

	private static String setting(String name, String value) {
		if (!name.matches("[A-Za-z_][A-Za-z0-9_.]*")) {
			throw new IllegalArgumentException("Invalid setting name '" + name + "'");
		}
		return name + " = '" + value.replace("\\", "\\\\").replace("'", "''") + "'";
	}

	// Another process may take the port between probing and binding it; then try another one.
	private void startOnFreePort() {
		for (int attempt = 1;; attempt++) {
			this.port = allocatePort();
			try {
				start();
				return;
			}
			catch (IllegalStateException ex) {
				if (attempt == PORT_ATTEMPTS || !PostgresPrograms.tail(this.serverLog).contains("could not bind")) {
					throw ex;
				}
			}
		}
	}

	static synchronized int allocatePort() {
		try {
			InetAddress loopback = InetAddress.getByName("127.0.0.1");
			while (true) {
				try (ServerSocket socket = new ServerSocket(0, 1, loopback)) {
					if (allocatedPorts.add(socket.getLocalPort())) {
						return socket.getLocalPort();
					}
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not find a free port on 127.0.0.1", ex);
		}
	}

	/**
	 * Returns the JDBC URL of a database on this server.
	 * @param database the database name, for example {@code postgres}
	 * @return the JDBC URL
	 */
	public String jdbcUrl(String database) {
		return "jdbc:postgresql://127.0.0.1:" + this.port + "/" + database;
	}

	/**
	 * Returns the TCP port of this server on {@code 127.0.0.1}.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	/**
	 * Returns the superuser name, {@value #USERNAME}; no password is needed.
	 * @return the user name
	 */
	public String username() {
		return USERNAME;
	}

	/**
	 * Returns the server's version as it reports it, for example {@code 18.1}.
	 * @return the version
	 */
	public String version() {
		try (Connection connection = openConnection("postgres");
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SHOW server_version")) {
			result.next();
			return result.getString(1);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not ask " + this + " for its version: " + ex.getMessage(), ex);
		}
	}

	/**
	 * Returns the private directory of this server (data directory, socket and logs).
	 * @return the directory
	 */
	public Path directory() {
		return this.directory;
	}

	/**
	 * Opens a new superuser connection to a database on this server. The caller closes it.
	 * @param database the database name
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened
	 */
	public Connection openConnection(String database) throws SQLException {
		return Connections.open(jdbcUrl(database), USERNAME, null);
	}

	/**
	 * Makes a role log in with its password over TCP, as on a production server, so that a
	 * wrong password is refused (everyone else keeps {@code trust}).
	 * @param role the role
	 * @throws SQLException if the configuration cannot be reloaded
	 */
	public void requirePassword(String role) throws SQLException {
		Path hba = this.dataDirectory.resolve("pg_hba.conf");
		try {
			// The first matching line wins, so the role's line goes before initdb's trust lines
			Files.writeString(hba, "host all " + role + " 127.0.0.1/32 scram-sha-256\n" + Files.readString(hba));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		try (Connection connection = openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("SELECT pg_reload_conf()");
		}
	}

	/**
	 * Starts the server (again, after {@link #stop()}) and waits until it accepts connections.
	 */
	public synchronized void start() {
		assertNotClosed();
		// pg_ctl passes -o to the server; the port is not in postgresql.conf so that a retry on
		// another port does not need to rewrite it.
		int exit = this.commands.run(this.directory, this.commandLog, TIMEOUT, "pg_ctl", "start", "-D",
				this.dataDirectory.toString(), "-l", this.serverLog.toString(), "-o", "-p " + this.port, "-w", "-t",
				String.valueOf(TIMEOUT.toSeconds()));
		if (exit != 0) {
			throw failure("pg_ctl start failed with exit code " + exit);
		}
		awaitConnection();
	}

	// pg_ctl -w already waits for the server to be ready; this also proves that JDBC over TCP works.
	private void awaitConnection() {
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		while (true) {
			try (Connection connection = openConnection("postgres")) {
				return;
			}
			catch (SQLException ex) {
				if (System.nanoTime() > deadline) {
					throw failure("Server does not accept connections on port " + this.port + ": " + ex.getMessage());
				}
			}
			try {
				Thread.sleep(100);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("Interrupted while waiting for " + this, ex);
			}
		}
	}

	/**
	 * Stops the server (fast shutdown: open sessions are terminated) and waits until it is down.
	 */
	public synchronized void stop() {
		assertNotClosed();
		stop("fast");
	}

	private void stop(String mode) {
		int exit = this.commands.run(this.directory, this.commandLog, TIMEOUT, "pg_ctl", "stop", "-D",
				this.dataDirectory.toString(), "-m", mode, "-w", "-t", String.valueOf(TIMEOUT.toSeconds()));
		if (exit != 0) {
			throw failure("pg_ctl stop failed with exit code " + exit);
		}
	}

	/**
	 * Stops and starts the server, keeping its port.
	 */
	public synchronized void restart() {
		stop();
		start();
	}

	/**
	 * Returns whether the server is running.
	 * @return {@code true} if it is running
	 */
	public synchronized boolean isRunning() {
		// pg_ctl status exits with 0 when running, 3 when not, 4 without a data directory.
		return !this.closed && this.commands.run(this.directory, this.commandLog, TIMEOUT, "pg_ctl", "status", "-D",
				this.dataDirectory.toString()) == 0;
	}

	/**
	 * Stops the server if it is running and deletes its directory.
	 */
	@Override
	public synchronized void close() {
		if (this.closed) {
			return;
		}
		try {
			if (isRunning()) {
				stopFastOrImmediately();
			}
		}
		finally {
			this.closed = true;
			unclosed.remove(this);
			Directories.delete(this.directory);
		}
	}

	// The directory is deleted after this, so the server must not survive a failed fast shutdown.
	private void stopFastOrImmediately() {
		try {
			stop("fast");
		}
		catch (IllegalStateException ex) {
			stop("immediate");
		}
	}

	private static void closeUnclosed() {
		for (PrivateServer server : unclosed) {
			try {
				server.close();
			}
			catch (RuntimeException ex) {
				System.err.println("Could not stop " + server + ": " + ex.getMessage());
			}
		}
	}

	private void assertNotClosed() {
		if (this.closed) {
			throw new IllegalStateException(this + " is closed");
		}
	}

	private IllegalStateException failure(String message) {
		return new IllegalStateException(message + " (" + this + ")" + System.lineSeparator()
				+ PostgresPrograms.tail(this.commandLog) + System.lineSeparator()
				+ PostgresPrograms.tail(this.serverLog));
	}

	@Override
	public String toString() {
		return "private PostgreSQL on 127.0.0.1:" + this.port + " in " + this.directory;
	}

	/**
	 * Builds a {@link PrivateServer}.
	 */
	public static final class Builder {

		private final Map<String, String> settings = new LinkedHashMap<>();

		private Builder() {
		}

		/**
		 * Sets {@code max_connections}.
		 * @param maxConnections the maximum number of connections
		 * @return this builder
		 */
		public Builder maxConnections(int maxConnections) {
			return setting("max_connections", String.valueOf(maxConnections));
		}

		/**
		 * Sets {@code superuser_reserved_connections}.
		 * @param reserved the number of connection slots reserved for superusers
		 * @return this builder
		 */
		public Builder superuserReservedConnections(int reserved) {
			return setting("superuser_reserved_connections", String.valueOf(reserved));
		}

		/**
		 * Sets any server setting.
		 * @param name the {@code postgresql.conf} name
		 * @param value the value
		 * @return this builder
		 */
		public Builder setting(String name, String value) {
			this.settings.put(name, value);
			return this;
		}

		/**
		 * Creates and starts the server.
		 * @return the running server
		 */
		public PrivateServer start() {
			return PrivateServer.start(this.settings);
		}

	}

}
