package io.dbbudget.test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * A database and a login role of the same name on the {@link TestServer}, one per test class, so
 * that test classes can set connection limits and count sessions without seeing each other.
 * <p>
 * The role {@code dbb_<name>} is neither a superuser nor allowed to create databases, so
 * connection limits apply to it; it owns the database {@code dbb_<name>}. Leftovers of an
 * earlier, interrupted run are dropped first. Names must be unique per test class.
 */
public final class TestDatabase implements AutoCloseable {

	private static final String PREFIX = "dbb_";

	// PostgreSQL truncates longer identifiers, which would make two names silently collide.
	private static final int MAX_IDENTIFIER_LENGTH = 63;

	private final TestServer server;

	private final String name;

	private final String password;

	private TestDatabase(TestServer server, String name) {
		this.server = server;
		this.name = name;
		// Tests only: a predictable password keeps failures easy to reproduce with psql.
		this.password = name;
	}

	/**
	 * Creates database and role {@code dbb_<name>}, dropping any left over from an earlier run.
	 * @param name the name, sanitized to {@code [a-z0-9_]}
	 * @return the new database
	 */
	public static TestDatabase create(String name) {
		TestDatabase database = new TestDatabase(TestServer.get(), sanitize(name));
		try {
			database.drop();
			database.createRoleAndDatabase();
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create test database " + database.name + " on "
					+ database.server + ": " + ex.getMessage(), ex);
		}
		return database;
	}

	static String sanitize(String name) {
		String sanitized = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
		if (sanitized.isEmpty()) {
			throw new IllegalArgumentException("Test database name must not be empty");
		}
		String prefixed = sanitized.startsWith(PREFIX) ? sanitized : PREFIX + sanitized;
		return (prefixed.length() > MAX_IDENTIFIER_LENGTH) ? prefixed.substring(0, MAX_IDENTIFIER_LENGTH) : prefixed;
	}

	private void createRoleAndDatabase() throws SQLException {
		try (Connection connection = this.server.openAdminConnection();
				Statement statement = connection.createStatement()) {
			String role = identifier(this.name);
			statement.execute("CREATE ROLE " + role + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD "
					+ literal(this.password));
			if (!isSuperuser(connection)) {
				// A non-superuser admin may only create a database owned by a role it is a member of.
				statement.execute("GRANT " + role + " TO CURRENT_USER");
			}
			// template0: CREATE DATABASE from template1 fails while anyone else is connected to it.
			statement.execute("CREATE DATABASE " + identifier(this.name) + " OWNER " + role + " TEMPLATE template0");
		}
	}

	private static boolean isSuperuser(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
			return result.next() && result.getBoolean(1);
		}
	}

	/**
	 * Returns the JDBC URL of this database, on the same host and port as the {@link TestServer}.
	 * @return the JDBC URL
	 */
	public String jdbcUrl() {
		return this.server.jdbcUrl(this.name);
	}

	/**
	 * Returns the name of the role that owns this database.
	 * @return the user name
	 */
	public String username() {
		return this.name;
	}

	/**
	 * Returns the password of the role.
	 * @return the password
	 */
	public String password() {
		return this.password;
	}

	/**
	 * Returns the name of this database.
	 * @return the database name
	 */
	public String databaseName() {
		return this.name;
	}

	/**
	 * Opens a new connection to this database as the role. The caller closes it.
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened, for example when a connection
	 * limit is reached (SQLSTATE {@code 53300})
	 */
	public Connection openConnection() throws SQLException {
		return Connections.open(jdbcUrl(), this.name, this.password);
	}

	/**
	 * Opens a new connection to this database as another login role, which owns nothing and has
	 * no privilege but {@code CONNECT}, as an unrelated program or person on the same server
	 * would. The role is created at the first call and dropped with the database. The caller
	 * closes the connection.
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened
	 */
	public Connection openConnectionAsStranger() throws SQLException {
		String stranger = strangerName();
		execute("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = " + literal(stranger) + ") THEN "
				+ "CREATE ROLE " + identifier(stranger) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD "
				+ literal(this.password) + "; END IF; END$$");
		execute("GRANT CONNECT ON DATABASE " + identifier(this.name) + " TO " + identifier(stranger));
		return Connections.open(jdbcUrl(), stranger, this.password);
	}

	private String strangerName() {
		String suffix = "_stranger";
		return this.name.substring(0, Math.min(this.name.length(), MAX_IDENTIFIER_LENGTH - suffix.length())) + suffix;
	}

	/**
	 * Opens a new superuser connection to this database; connection limits do not apply to it.
	 * The caller closes it.
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened
	 */
	public Connection adminConnection() throws SQLException {
		return this.server.openAdminConnection(this.name);
	}

	/**
	 * Sets the role's connection limit.
	 * @param limit the maximum number of concurrent connections of the role, {@code -1} for none
	 */
	public void setRoleConnectionLimit(int limit) {
		execute("ALTER ROLE " + identifier(this.name) + " CONNECTION LIMIT " + limit);
	}

	/**
	 * Sets the database's connection limit.
	 * @param limit the maximum number of concurrent connections to the database, {@code -1} for
	 * none
	 */
	public void setDatabaseConnectionLimit(int limit) {
		execute("ALTER DATABASE " + identifier(this.name) + " CONNECTION LIMIT " + limit);
	}

	/**
	 * Counts the client sessions connected to this database. Counting uses a connection to the
	 * admin database, so it does not count itself, but admin connections to this database held
	 * open by the caller are counted. Background workers (such as autovacuum) are not counted.
	 * @return the number of sessions
	 */
	public int sessionCount() {
		String sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()"
				+ " AND backend_type = 'client backend'";
		try (Connection connection = this.server.openAdminConnection();
				PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, this.name);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getInt(1);
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not count sessions of " + this.name + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Terminates all sessions connected to this database, waiting (up to 5 s each) until they are
	 * gone.
	 * @return the number of sessions terminated
	 */
	public int terminateSessions() {
		try (Connection connection = this.server.openAdminConnection()) {
			return terminateSessions(connection, false);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not terminate sessions of " + this.name + ": " + ex.getMessage(),
					ex);
		}
	}

	// The timeout variant of pg_terminate_backend waits until the backend has exited, so the
	// sessions are really gone when this returns.
	private int terminateSessions(Connection connection, boolean includeRoleSessions) throws SQLException {
		String sql = "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
				+ " WHERE (datname = ? OR (? AND usename = ?)) AND pid <> pg_backend_pid()";
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, this.name);
			statement.setBoolean(2, includeRoleSessions);
			statement.setString(3, this.name);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getInt(1);
			}
		}
	}

	/**
	 * Drops the database and the role.
	 */
	@Override
	public void close() {
		try {
			drop();
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not drop test database " + this.name + ": " + ex.getMessage(), ex);
		}
	}

	private void drop() throws SQLException {
		try (Connection connection = this.server.openAdminConnection();
				Statement statement = connection.createStatement()) {
			// Also sessions of the role in other databases: none should outlive the role.
			terminateSessions(connection, true);
			statement.execute("DROP DATABASE IF EXISTS " + identifier(this.name) + " WITH (FORCE)");
			statement.execute("DROP ROLE IF EXISTS " + identifier(this.name));
			statement.execute("DROP ROLE IF EXISTS " + identifier(strangerName()));
		}
	}

	private void execute(String sql) {
		try (Connection connection = this.server.openAdminConnection();
				Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not execute '" + sql + "': " + ex.getMessage(), ex);
		}
	}

	private static String identifier(String name) {
		return "\"" + name.replace("\"", "\"\"") + "\"";
	}

	private static String literal(String value) {
		return "'" + value.replace("'", "''") + "'";
	}

	@Override
	public String toString() {
		return this.name + " on " + this.server;
	}

}
