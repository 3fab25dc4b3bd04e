package io.dbbudget.test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.dbbudget.embedded.Directories;
import io.dbbudget.embedded.PostgresPrograms;

/**
 * A private PgBouncer in front of a {@link PrivateServer}, on a free port of {@code 127.0.0.1},
 * in session pooling mode unless told otherwise. Clients log in as any user
 * ({@code auth_type = any}), or, once {@link Builder#users(String...) users} are named, only as
 * one of those, without a password ({@code auth_type = trust}). {@code admin_users} and
 * {@code stats_users} decide who may use the admin console. PgBouncer logs in to the server as its superuser. Needs the {@code pgbouncer} program (Debian package
 * {@code pgbouncer}); it refuses to run as root, so as root it runs as the {@code postgres} user.
 * <pre class="code">
 * try (PrivatePgBouncer bouncer = PrivatePgBouncer.builder(server).database("app", "pool_size=1").start()) {
 *     DriverManager.getConnection(bouncer.jdbcUrl("app"), "anyone", "");
 * }
 * </pre>
 */
public final class PrivatePgBouncer implements AutoCloseable {

	private static final Duration TIMEOUT = Duration.ofSeconds(20);

	private static final List<Path> PROGRAMS = List.of(Path.of("/usr/sbin/pgbouncer"), Path.of("/usr/bin/pgbouncer"),
			Path.of("/usr/local/bin/pgbouncer"));

	private final Path directory;

	private final int port;

	private final Process process;

	private PrivatePgBouncer(Path directory, int port, Process process) {
		this.directory = directory;
		this.port = port;
		this.process = process;
	}

	/**
	 * Returns a builder for a PgBouncer in front of a server.
	 * @param server the server
	 * @return the builder
	 */
	public static Builder builder(PrivateServer server) {
		return new Builder(server);
	}

	/**
	 * Returns the JDBC URL of a database of this PgBouncer.
	 * @param database the name of a database in its {@code [databases]} section
	 * @return the JDBC URL
	 */
	public String jdbcUrl(String database) {
		return "jdbc:postgresql://127.0.0.1:" + this.port + "/" + database;
	}

	/**
	 * Returns the TCP port of this PgBouncer on {@code 127.0.0.1}.
	 * @return the port
	 */
	public int port() {
		return this.port;
	}

	/**
	 * Runs a command on PgBouncer's admin console, such as {@code DISABLE app}.
	 * @param user one of the {@code admin_users}
	 * @param command the command
	 * @throws SQLException if PgBouncer refuses it
	 */
	public void console(String user, String command) throws SQLException {
		Properties properties = new Properties();
		properties.setProperty("user", user);
		// The console takes simple queries only, and refuses the SET pgjdbc sends after login
		// unless the connection is a replication one
		properties.setProperty("preferQueryMode", "simple");
		properties.setProperty("replication", "database");
		try (Connection connection = DriverManager.getConnection(jdbcUrl("pgbouncer"), properties);
				Statement statement = connection.createStatement()) {
			statement.execute(command);
		}
	}

	/**
	 * Stops PgBouncer (its clients' connections close) and deletes its directory.
	 */
	@Override
	public void close() {
		this.process.destroy();
		try {
			if (!this.process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
				this.process.destroyForcibly();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
		Directories.delete(this.directory);
	}

	@Override
	public String toString() {
		return "private PgBouncer on 127.0.0.1:" + this.port + " in " + this.directory;
	}

	private static Path program() {
		return PROGRAMS.stream()
			.filter(Files::isExecutable)
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("PgBouncer is not installed (looked for " + PROGRAMS
					+ "): install it, for example with 'apt-get install -y pgbouncer' (or run 'bash .ci/run')."));
	}

	/**
	 * Builds a {@link PrivatePgBouncer}.
	 */
	public static final class Builder {

		private final PrivateServer server;

		private final Map<String, String> databases = new LinkedHashMap<>();

		private final Map<String, String> settings = new LinkedHashMap<>();

		private final Set<String> users = new LinkedHashSet<>();

		private final Map<String, String> userOptions = new LinkedHashMap<>();

		private Builder(PrivateServer server) {
			this.server = server;
		}

		/**
		 * Adds a database that leads to the server's {@code postgres} database.
		 * @param name the name clients connect to
		 * @param options more connection options of the {@code [databases]} line, such as
		 * {@code pool_size=1}
		 * @return this builder
		 */
		public Builder database(String name, String options) {
			this.databases.put(name, "host=127.0.0.1 port=" + this.server.port() + " dbname=postgres user="
					+ this.server.username() + " " + options);
			return this;
		}

		/**
		 * Adds a line to the {@code [users]} section. PgBouncer logs in to the server as the
		 * superuser for every database, so the superuser's line is the one that applies.
		 * @param name the user, such as {@link PrivateServer#username()}
		 * @param options its settings, such as {@code pool_mode=transaction}
		 * @return this builder
		 */
		public Builder user(String name, String options) {
			this.userOptions.put(name, options);
			return this;
		}

		/**
		 * Sets a setting of the {@code [pgbouncer]} section.
		 * @param name the setting, such as {@code max_client_conn}
		 * @param value its value
		 * @return this builder
		 */
		public Builder setting(String name, String value) {
			this.settings.put(name, value);
			return this;
		}

		/**
		 * Sets the global {@code pool_mode}; a database's {@code pool_mode=} option overrides it.
		 * @param poolMode {@code session}, {@code transaction} or {@code statement}
		 * @return this builder
		 */
		public Builder poolMode(String poolMode) {
			return setting("pool_mode", poolMode);
		}

		/**
		 * Sets {@code max_client_conn}.
		 * @param maxClientConn the most clients PgBouncer accepts
		 * @return this builder
		 */
		public Builder maxClientConn(int maxClientConn) {
			return setting("max_client_conn", String.valueOf(maxClientConn));
		}

		/**
		 * Lets only these users log in, without a password ({@code auth_type = trust}).
		 * @param names the user names
		 * @return this builder
		 */
		public Builder users(String... names) {
			this.users.addAll(List.of(names));
			return this;
		}

		/**
		 * Sets {@code admin_users}, who may run any command on the admin console; they become
		 * {@link #users(String...) users}.
		 * @param names the user names
		 * @return this builder
		 */
		public Builder adminUsers(String... names) {
			return users(names).setting("admin_users", String.join(",", names));
		}

		/**
		 * Sets {@code stats_users}, who may run the {@code SHOW} commands of the admin console;
		 * they become {@link #users(String...) users}.
		 * @param names the user names
		 * @return this builder
		 */
		public Builder statsUsers(String... names) {
			return users(names).setting("stats_users", String.join(",", names));
		}

		/**
		 * Starts PgBouncer and waits until it accepts connections.
		 * @return the running PgBouncer
		 */
		public PrivatePgBouncer start() {
			Path program = program();
			Path directory = createDirectory();
			int port = PrivateServer.allocatePort();
			Path log = directory.resolve("pgbouncer.log");
			Path configuration = writeConfiguration(directory, port);
			List<String> command = PostgresCommands.get()
				.commandLine(program.toString(), List.of(configuration.toString()));
			Process process;
			try {
				process = new ProcessBuilder(command).directory(directory.toFile())
					.redirectErrorStream(true)
					.redirectOutput(Redirect.appendTo(log.toFile()))
					.redirectInput(Redirect.from(new File("/dev/null")))
					.start();
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not run " + String.join(" ", command), ex);
			}
			PrivatePgBouncer bouncer = new PrivatePgBouncer(directory, port, process);
			try {
				awaitListening(process, port, log);
				return bouncer;
			}
			catch (RuntimeException ex) {
				bouncer.close();
				throw ex;
			}
		}

		private static Path createDirectory() {
			try {
				Path directory = Files.createTempDirectory("dbb-pgbouncer-");
				PostgresCommands.get().prepareDirectory(directory);
				return directory;
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not create a directory for a private PgBouncer", ex);
			}
		}

		private Path writeConfiguration(Path directory, int port) {
			StringBuilder ini = new StringBuilder("[databases]\n");
			this.databases.forEach((name, line) -> ini.append(name).append(" = ").append(line).append('\n'));
			Map<String, String> all = new LinkedHashMap<>();
			all.put("auth_type", "any");
			all.put("pool_mode", "session");
			if (!this.users.isEmpty()) {
				all.put("auth_type", "trust");
				all.put("auth_file", writeUsers(directory).toString());
			}
			all.putAll(this.settings);
			// Last, so that they win: PgBouncer must stay private to this test
			all.put("listen_addr", "127.0.0.1");
			all.put("listen_port", String.valueOf(port));
			all.put("unix_socket_dir", "");
			ini.append("[users]\n");
			this.userOptions.forEach((name, options) -> ini.append(name).append(" = ").append(options).append('\n'));
			ini.append("[pgbouncer]\n");
			all.forEach((name, value) -> ini.append(name).append(" = ").append(value).append('\n'));
			return write(directory.resolve("pgbouncer.ini"), ini);
		}

		// trust: no password is checked, but the user must be in the file
		private Path writeUsers(Path directory) {
			StringBuilder lines = new StringBuilder();
			this.users.forEach((user) -> lines.append('"').append(user).append("\" \"\"\n"));
			return write(directory.resolve("users.txt"), lines);
		}

		private static Path write(Path file, CharSequence text) {
			try {
				return Files.writeString(file, text, StandardCharsets.UTF_8);
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Could not write " + file, ex);
			}
		}

		private static void awaitListening(Process process, int port, Path log) {
			long deadline = System.nanoTime() + TIMEOUT.toNanos();
			while (true) {
				try (Socket socket = new Socket()) {
					socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
					return;
				}
				catch (IOException ex) {
					if (!process.isAlive() || System.nanoTime() > deadline) {
						throw new IllegalStateException("PgBouncer does not listen on port " + port
								+ System.lineSeparator() + PostgresPrograms.tail(log));
					}
				}
				try {
					Thread.sleep(50);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException("Interrupted while waiting for PgBouncer", ex);
				}
			}
		}

	}

}
