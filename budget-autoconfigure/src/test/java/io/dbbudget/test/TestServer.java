package io.dbbudget.test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.jspecify.annotations.Nullable;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server that the tests use, found the same way by every test.
 * <p>
 * In order of preference:
 * <ol>
 * <li>{@code DB_BUDGET_TEST_URL} (with optional {@code DB_BUDGET_TEST_USER}, default
 * {@code postgres}, and {@code DB_BUDGET_TEST_PASSWORD}); the user must be a superuser or
 * have {@code CREATEDB} and {@code CREATEROLE}.</li>
 * <li>A local server on {@code 127.0.0.1:5432} that accepts {@code postgres} without a
 * password.</li>
 * <li>A Testcontainers PostgreSQL when Docker is available.</li>
 * <li>A {@link PrivateServer} of its own, run by the installed PostgreSQL or else by the
 * PostgreSQL binaries from Maven Central that the build copies for the tests.</li>
 * </ol>
 * With the system property {@value #SERVER_PROPERTY}{@code =embedded} only the last is used,
 * always with the binaries from Maven Central: the build runs the tests that way once more
 * against a newer PostgreSQL major. When no server is available {@link #get()} throws: the
 * tests fail rather than being skipped, so a misconfigured CI cannot pass silently. The server
 * is resolved once per JVM.
 */
public final class TestServer {

	/** Environment variable with the JDBC URL of an admin connection to the server. */
	public static final String URL_VARIABLE = "DB_BUDGET_TEST_URL";

	/** Environment variable with the admin user name, {@code postgres} by default. */
	public static final String USER_VARIABLE = "DB_BUDGET_TEST_USER";

	/** Environment variable with the admin password, none by default. */
	public static final String PASSWORD_VARIABLE = "DB_BUDGET_TEST_PASSWORD";

	/**
	 * System property choosing the server: {@code auto} (the default) tries the four ways in
	 * order, {@code embedded} uses only PostgreSQL binaries from Maven Central.
	 */
	public static final String SERVER_PROPERTY = "db-budget.test.server";

	private static final String DEFAULT_USER = "postgres";

	// As many as the servers the tests run against elsewhere: some tests fill a share of them.
	private static final int EMBEDDED_MAX_CONNECTIONS = 200;

	private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";

	private static final String CONTAINER_IMAGE = "postgres:17-alpine";

	private static final String URL_PREFIX = "jdbc:postgresql://";

	private static @Nullable TestServer instance;

	private static @Nullable IllegalStateException failure;

	// Kept so that the container lives as long as the JVM; Testcontainers removes it at exit.
	private static @Nullable PostgreSQLContainer container;

	private final String adminUrl;

	private final String adminUser;

	private final @Nullable String adminPassword;

	private final String description;

	private TestServer(String adminUrl, String adminUser, @Nullable String adminPassword, String description) {
		this.adminUrl = adminUrl;
		this.adminUser = adminUser;
		this.adminPassword = adminPassword;
		this.description = description;
	}

	/**
	 * Returns the server, resolving it on first use.
	 * @return the server
	 * @throws IllegalStateException if no server is available, with instructions to provide one
	 */
	public static synchronized TestServer get() {
		if (instance != null) {
			return instance;
		}
		// Remember a failure so that every test fails fast with the same message instead of
		// probing (and waiting for) the same unavailable servers again.
		if (failure != null) {
			throw new IllegalStateException(failure.getMessage(), failure.getCause());
		}
		try {
			instance = resolve();
			return instance;
		}
		catch (IllegalStateException ex) {
			failure = ex;
			throw ex;
		}
	}

	/**
	 * Returns whether this run uses only the PostgreSQL binaries from Maven Central.
	 * @return {@code true} if {@value #SERVER_PROPERTY} is {@code embedded}
	 */
	public static boolean isEmbeddedOnly() {
		String server = System.getProperty(SERVER_PROPERTY, "auto").trim();
		if (!server.equals("auto") && !server.equals("embedded")) {
			throw new IllegalStateException(
					SERVER_PROPERTY + "=" + server + " is not a server choice: use auto or embedded");
		}
		return server.equals("embedded");
	}

	private static TestServer resolve() {
		if (isEmbeddedOnly()) {
			return startPrivateServer();
		}
		String url = environment(URL_VARIABLE);
		if (url != null) {
			String configuredUser = environment(USER_VARIABLE);
			String user = (configuredUser != null) ? configuredUser : DEFAULT_USER;
			return checked(new TestServer(url, user, environment(PASSWORD_VARIABLE), URL_VARIABLE + "=" + url));
		}
		SQLException localProblem;
		try (Connection connection = Connections.open(LOCAL_URL, DEFAULT_USER, null)) {
			return checked(new TestServer(LOCAL_URL, DEFAULT_USER, null, "local PostgreSQL at " + LOCAL_URL));
		}
		catch (SQLException ex) {
			localProblem = ex;
		}
		if (isDockerAvailable()) {
			return startContainer();
		}
		RuntimeException privateServerProblem;
		try {
			return startPrivateServer();
		}
		catch (RuntimeException ex) {
			privateServerProblem = ex;
			localProblem.addSuppressed(ex);
		}
		throw new IllegalStateException("""
				No PostgreSQL server for the db-budget tests (they fail rather than skip). Provide one of:
				  1. a local PostgreSQL on 127.0.0.1:5432 that accepts user 'postgres' without a password
				     (on Debian: apt-get install -y postgresql, trust 127.0.0.1/32 in pg_hba.conf,
				     pg_ctlcluster --skip-systemctl-redirect <version> main start; or just run 'bash .ci/run'),
				  2. %s=jdbc:postgresql://<host>:<port>/postgres with %s and %s of a superuser
				     (or of a role with CREATEDB and CREATEROLE),
				  3. a running Docker engine, for Testcontainers (%s),
				  4. the PostgreSQL binaries from Maven Central, which './mvnw verify' copies for the tests.
				Connecting to %s as postgres failed: %s
				Docker is not available.
				Starting a private server failed: %s"""
			.formatted(URL_VARIABLE, USER_VARIABLE, PASSWORD_VARIABLE, CONTAINER_IMAGE, LOCAL_URL,
					describe(localProblem), privateServerProblem.getMessage()), localProblem);
	}

	// pgjdbc's own message is often just "The connection attempt failed."; the causes say why.
	private static String describe(Throwable problem) {
		StringBuilder description = new StringBuilder(String.valueOf(problem.getMessage()));
		for (Throwable cause = problem.getCause(); cause != null; cause = cause.getCause()) {
			description.append(" (").append(cause).append(")");
		}
		return description.toString();
	}

	private static boolean isDockerAvailable() {
		try {
			return DockerClientFactory.instance().isDockerAvailable();
		}
		catch (Throwable ex) {
			// Any problem finding Docker simply means there is no Docker to fall back on.
			return false;
		}
	}

	private static TestServer startContainer() {
		PostgreSQLContainer started = new PostgreSQLContainer(CONTAINER_IMAGE).withDatabaseName("postgres")
			.withUsername(DEFAULT_USER)
			.withPassword(DEFAULT_USER);
		started.start();
		container = started;
		return checked(new TestServer(started.getJdbcUrl(), started.getUsername(), started.getPassword(),
				"Testcontainers " + CONTAINER_IMAGE + " at " + started.getJdbcUrl()));
	}

	// The PrivateServer stops with the JVM, like the container.
	private static TestServer startPrivateServer() {
		PrivateServer server = PrivateServer.builder().maxConnections(EMBEDDED_MAX_CONNECTIONS).start();
		String url = server.jdbcUrl("postgres");
		return checked(new TestServer(url, PrivateServer.USERNAME, null, "PostgreSQL " + server.version()
				+ " of its own (" + PostgresCommands.get() + ") at " + url));
	}

	// TestDatabase creates databases and roles, so a server that does not allow it is unusable.
	private static TestServer checked(TestServer server) {
		String sql = "SELECT rolsuper OR (rolcreatedb AND rolcreaterole) FROM pg_roles WHERE rolname = current_user";
		try (Connection connection = server.openAdminConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery(sql)) {
			if (result.next() && result.getBoolean(1)) {
				return server;
			}
			throw new IllegalStateException("The db-budget tests need a superuser (or a role with CREATEDB and "
					+ "CREATEROLE) on " + server.description + " but '" + server.adminUser + "' is neither");
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Cannot connect to " + server.description + " as '" + server.adminUser
					+ "': " + describe(ex) + " (check " + URL_VARIABLE + ", " + USER_VARIABLE + " and "
					+ PASSWORD_VARIABLE + ")", ex);
		}
	}

	private static @Nullable String environment(String name) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value.trim() : null;
	}

	/**
	 * Returns the JDBC URL of the admin connection.
	 * @return the admin JDBC URL
	 */
	public String adminUrl() {
		return this.adminUrl;
	}

	/**
	 * Returns the user of the admin connection.
	 * @return the admin user
	 */
	public String adminUser() {
		return this.adminUser;
	}

	/**
	 * Returns the password of the admin connection, if any.
	 * @return the admin password or {@code null}
	 */
	public @Nullable String adminPassword() {
		return this.adminPassword;
	}

	/**
	 * Returns where the server came from, for messages.
	 * @return a description of the server
	 */
	public String description() {
		return this.description;
	}

	/**
	 * Returns a JDBC URL for another database on the same server, keeping host, port and any
	 * URL parameters of the admin URL.
	 * @param database the database name
	 * @return the JDBC URL
	 */
	public String jdbcUrl(String database) {
		if (!this.adminUrl.startsWith(URL_PREFIX)) {
			throw new IllegalStateException("Unsupported JDBC URL " + this.adminUrl + ", expected " + URL_PREFIX);
		}
		String rest = this.adminUrl.substring(URL_PREFIX.length());
		int query = rest.indexOf('?');
		String parameters = (query >= 0) ? rest.substring(query) : "";
		String authority = (query >= 0) ? rest.substring(0, query) : rest;
		int slash = authority.indexOf('/');
		String hosts = (slash >= 0) ? authority.substring(0, slash) : authority;
		return URL_PREFIX + hosts + "/" + database + parameters;
	}

	/**
	 * Opens a new admin connection to the admin database. The caller closes it.
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened
	 */
	public Connection openAdminConnection() throws SQLException {
		return Connections.open(this.adminUrl, this.adminUser, this.adminPassword);
	}

	/**
	 * Opens a new admin connection to the given database. The caller closes it.
	 * @param database the database name
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened
	 */
	public Connection openAdminConnection(String database) throws SQLException {
		return Connections.open(jdbcUrl(database), this.adminUser, this.adminPassword);
	}

	@Override
	public String toString() {
		return this.description;
	}

}
