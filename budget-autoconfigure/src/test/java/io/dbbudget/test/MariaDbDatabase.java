package io.dbbudget.test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A database and a user of the same name on a MariaDB (or MySQL) server, one per test class, so
 * that test classes can set connection limits and count sessions without seeing each other.
 * <p>
 * The user {@code dbb_<name>}@{@code %} has every privilege on the database
 * {@code dbb_<name>} and none beyond it: no {@code PROCESS}, {@code SUPER} or
 * {@code CONNECTION_ADMIN}, so it sees only its own threads and the server's limits apply to it.
 * {@code MAX_USER_CONNECTIONS} on it is the cheap small budget. Leftovers of an earlier,
 * interrupted run are dropped first.
 */
public final class MariaDbDatabase implements AutoCloseable {

	private static final String PREFIX = "dbb_";

	// MySQL 8 keeps user names to 32 characters; longer ones would fail there
	private static final int MAX_NAME_LENGTH = 32;

	private final MariaDbServer server;

	private final String name;

	private MariaDbDatabase(MariaDbServer server, String name) {
		this.server = server;
		this.name = name;
	}

	/**
	 * Creates database and user {@code dbb_<name>} on the {@link TestMariaDb}.
	 * @param name the name, sanitized to {@code [a-z0-9_]}
	 * @return the new database
	 */
	public static MariaDbDatabase create(String name) {
		return create(TestMariaDb.get(), name);
	}

	/**
	 * Creates database and user {@code dbb_<name>} on a server, dropping any left over.
	 * @param server the server
	 * @param name the name, sanitized to {@code [a-z0-9_]}
	 * @return the new database
	 */
	public static MariaDbDatabase create(MariaDbServer server, String name) {
		MariaDbDatabase database = new MariaDbDatabase(server, sanitize(name));
		try {
			database.drop();
			database.execute("CREATE DATABASE " + database.identifier(), "CREATE USER " + database.account()
					+ " IDENTIFIED BY '" + database.name + "'",
					"GRANT ALL PRIVILEGES ON " + database.identifier() + ".* TO " + database.account());
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create test database " + database.name + " on " + server
					+ ": " + ex.getMessage(), ex);
		}
		return database;
	}

	static String sanitize(String name) {
		String sanitized = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
		String prefixed = sanitized.startsWith(PREFIX) ? sanitized : PREFIX + sanitized;
		return (prefixed.length() > MAX_NAME_LENGTH) ? prefixed.substring(0, MAX_NAME_LENGTH) : prefixed;
	}

	/**
	 * Returns the JDBC URL of this database for a driver.
	 * @param driver the driver
	 * @return the JDBC URL
	 */
	public String jdbcUrl(MySqlDriver driver) {
		return this.server.jdbcUrl(driver, this.name);
	}

	/**
	 * Returns the name of the user, also the password.
	 * @return the user name
	 */
	public String username() {
		return this.name;
	}

	/**
	 * Returns the password of the user.
	 * @return the password
	 */
	public String password() {
		return this.name;
	}

	/**
	 * Returns the name of this database.
	 * @return the database name
	 */
	public String databaseName() {
		return this.name;
	}

	/**
	 * Returns the server.
	 * @return the server
	 */
	public MariaDbServer server() {
		return this.server;
	}

	/**
	 * Opens a new connection to this database as the user. The caller closes it.
	 * @param driver the driver to connect with
	 * @return the connection
	 * @throws SQLException if the connection cannot be opened
	 */
	public Connection openConnection(MySqlDriver driver) throws SQLException {
		return Connections.openMySql(jdbcUrl(driver), this.name, this.name);
	}

	/**
	 * Sets the user's {@code MAX_USER_CONNECTIONS}; new sessions beyond it fail with 1226.
	 * @param limit the limit, 0 for none
	 */
	public void setMaxUserConnections(int limit) {
		try {
			execute("ALTER USER " + account() + " WITH MAX_USER_CONNECTIONS " + limit);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not limit " + this.name + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * The thread ids of the user's sessions, as the admin sees them.
	 * @return the ids
	 */
	public List<Long> sessions() {
		List<Long> ids = new ArrayList<>();
		try (Connection connection = this.server.openAdminConnection();
				PreparedStatement statement = connection
					.prepareStatement("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? ORDER BY ID")) {
			statement.setString(1, this.name);
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					ids.add(result.getLong(1));
				}
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not list sessions of " + this.name + ": " + ex.getMessage(), ex);
		}
		return ids;
	}

	/**
	 * Kills every session of the user.
	 * @return how many were killed
	 */
	public int killSessions() {
		try (Connection connection = this.server.openAdminConnection()) {
			return killSessions(connection);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not kill sessions of " + this.name + ": " + ex.getMessage(), ex);
		}
	}

	private int killSessions(Connection connection) throws SQLException {
		int killed = 0;
		for (long id : sessions()) {
			try (Statement statement = connection.createStatement()) {
				statement.execute("KILL CONNECTION " + id);
				killed++;
			}
			catch (SQLException ex) {
				// 1094 unknown thread: it ended in the meantime
			}
		}
		return killed;
	}

	/**
	 * Drops the database and the user.
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
		try (Connection connection = this.server.openAdminConnection()) {
			killSessions(connection);
		}
		execute("DROP USER IF EXISTS " + account(), "DROP DATABASE IF EXISTS " + identifier());
	}

	private void execute(String... statements) throws SQLException {
		try (Connection connection = this.server.openAdminConnection();
				Statement statement = connection.createStatement()) {
			for (String sql : statements) {
				statement.execute(sql);
			}
		}
	}

	private String identifier() {
		return "`" + this.name + "`";
	}

	private String account() {
		return "'" + this.name + "'@'%'";
	}

	@Override
	public String toString() {
		return this.name + " on " + this.server;
	}

}
