package io.dbbudget.test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.jspecify.annotations.Nullable;

/**
 * The MariaDB (or MySQL) server that the MySQL-side tests use, found the same way by every
 * test: {@value #URL_VARIABLE} if set (with optional {@value #USER_VARIABLE}, default
 * {@code root}, and {@value #PASSWORD_VARIABLE}), else {@code jdbc:mariadb://127.0.0.1:3306/test}
 * as {@code root} without a password. The user must be allowed to create databases and users.
 * When there is no such server {@link #get()} throws, saying how to provide one: the tests fail
 * rather than being skipped. The server is resolved once per JVM.
 */
public final class TestMariaDb implements MariaDbServer {

	/** Environment variable with the JDBC URL ({@code jdbc:mariadb:} or {@code jdbc:mysql:}) of an admin connection. */
	public static final String URL_VARIABLE = "DB_BUDGET_TEST_MARIADB_URL";

	/** Environment variable with the admin user name, {@code root} by default. */
	public static final String USER_VARIABLE = "DB_BUDGET_TEST_MARIADB_USER";

	/** Environment variable with the admin password, none by default. */
	public static final String PASSWORD_VARIABLE = "DB_BUDGET_TEST_MARIADB_PASSWORD";

	private static final String LOCAL_URL = "jdbc:mariadb://127.0.0.1:3306/test";

	private static final String DEFAULT_USER = "root";

	private static @Nullable TestMariaDb instance;

	private static @Nullable IllegalStateException failure;

	private final String adminUrl;

	private final String adminUser;

	private final @Nullable String adminPassword;

	private final String hostAndPort;

	private final String description;

	TestMariaDb(String adminUrl, String adminUser, @Nullable String adminPassword, String description) {
		this.adminUrl = adminUrl;
		this.adminUser = adminUser;
		this.adminPassword = adminPassword;
		this.hostAndPort = hostAndPort(adminUrl);
		this.description = description;
	}

	/**
	 * Returns the server, resolving it on first use.
	 * @return the server
	 * @throws IllegalStateException if no server is available, with instructions to provide one
	 */
	public static synchronized TestMariaDb get() {
		if (instance != null) {
			return instance;
		}
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

	private static TestMariaDb resolve() {
		String url = environment(URL_VARIABLE);
		String user = (environment(USER_VARIABLE) != null) ? environment(USER_VARIABLE) : DEFAULT_USER;
		TestMariaDb server = (url != null)
				? new TestMariaDb(url, user, environment(PASSWORD_VARIABLE), URL_VARIABLE + "=" + url)
				: new TestMariaDb(LOCAL_URL, DEFAULT_USER, null, "local MariaDB at " + LOCAL_URL);
		try (Connection connection = server.openAdminConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT version()")) {
			result.next();
			return server;
		}
		catch (SQLException ex) {
			throw new IllegalStateException("""
					No MariaDB server for the db-budget MySQL/MariaDB tests (they fail rather than skip). Provide one of:
					  1. a local MariaDB on 127.0.0.1:3306 that accepts user 'root' without a password over TCP
					     (on Debian: apt-get install -y mariadb-server, start it, and
					     CREATE USER 'root'@'127.0.0.1' with ALL PRIVILEGES WITH GRANT OPTION; or just run 'bash .ci/run'),
					  2. %s=jdbc:mariadb://<host>:<port>/<database> (or jdbc:mysql://...) with %s and %s of a
					     user that may create databases and users.
					Connecting to %s as '%s' failed: %s""".formatted(URL_VARIABLE, USER_VARIABLE, PASSWORD_VARIABLE,
					server.description, server.adminUser, ex.getMessage()), ex);
		}
	}

	private static String hostAndPort(String url) {
		int start = url.indexOf("://");
		if (!url.startsWith("jdbc:") || start < 0) {
			throw new IllegalStateException("Unsupported JDBC URL " + url + ", expected jdbc:mariadb:// or jdbc:mysql://");
		}
		String rest = url.substring(start + 3);
		int end = rest.indexOf('/');
		return (end >= 0) ? rest.substring(0, end) : rest;
	}

	private static @Nullable String environment(String name) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value.trim() : null;
	}

	@Override
	public String hostAndPort() {
		return this.hostAndPort;
	}

	@Override
	public Connection openAdminConnection() throws SQLException {
		return Connections.openMySql(this.adminUrl, this.adminUser, this.adminPassword);
	}

	@Override
	public String toString() {
		return this.description;
	}

}
