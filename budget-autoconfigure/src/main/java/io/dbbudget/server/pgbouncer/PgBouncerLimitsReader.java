package io.dbbudget.server.pgbouncer;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;

import io.dbbudget.budget.ServerLimits;
import org.jspecify.annotations.Nullable;

/**
 * Reads PgBouncer's limits for a pool from PgBouncer's admin console: the virtual database
 * {@code pgbouncer} on the same host and port, logged in to with the pool's own credentials.
 * PgBouncer lets only the users it lists in {@code admin_users} or {@code stats_users} in;
 * for any other the answer says so, and nothing is guessed.
 * <p>
 * The limits are the client side, what the pool's connections count against:
 * {@code max_client_conn} for PgBouncer as a whole. In session mode a client also holds one
 * server connection for as long as it stays connected, and a client beyond PgBouncer's
 * server-side limits waits in its queue until {@code query_wait_timeout} fails it, so those
 * limits cap it too: the database's {@code max_db_connections} and, for the pool's user, the
 * database's {@code pool_size} plus {@code reserve_pool} and {@code max_user_connections}. In
 * transaction and statement mode clients only queue for a server connection for each
 * transaction or statement, which is what those modes are for, so only
 * {@code max_client_conn} counts.
 *
 * @author db-budget team
 */
public final class PgBouncerLimitsReader {

	/**
	 * The name of PgBouncer's admin console database.
	 */
	public static final String CONSOLE_DATABASE = "pgbouncer";

	private PgBouncerLimitsReader() {
	}

	/**
	 * Reads PgBouncer's limits for the pool that connects with a URL and properties, on one
	 * short-lived connection to its admin console.
	 * @param jdbcUrl the pool's JDBC URL: its hosts and ports are PgBouncer's, its database
	 * the name clients use in PgBouncer's {@code [databases]}
	 * @param properties the pool's connection properties, with {@code user} and
	 * {@code password} (timeouts and TLS settings apply to the console connection too)
	 * @return the limits and pool mode, or why they cannot be read: the user may not read the
	 * console, no PgBouncer console answers (another pooler), or PgBouncer does not know the
	 * pool's database
	 * @throws SQLException any other failure, as the driver reports it: PgBouncer down or
	 * shutting down may answer later (tell such failures apart with
	 * {@code TransientFailures.isTransient}), anything else will not. A full PgBouncer still
	 * answers: its console takes no client slot
	 */
	public static PgBouncerLimits read(String jdbcUrl, Properties properties) throws SQLException {
		Driver driver = DriverManager.getDriver(jdbcUrl);
		Properties parsed = parse(driver, jdbcUrl, properties);
		String database = parsed.getProperty("PGDBNAME");
		String user = parsed.getProperty("user");
		try (Connection console = openConsole(driver, parsed)) {
			return read(console, database, user);
		}
		catch (SQLException ex) {
			String refusal = refusal(ex, user);
			if (refusal == null) {
				throw ex;
			}
			return PgBouncerLimits.unreadable(refusal);
		}
	}

	// pgjdbc's own reading of the URL (hosts, ports, database, parameters) over the properties
	private static Properties parse(Driver driver, String jdbcUrl, Properties properties) throws SQLException {
		Properties parsed = new Properties();
		for (DriverPropertyInfo property : driver.getPropertyInfo(jdbcUrl, properties)) {
			if (property.value != null) {
				parsed.setProperty(property.name, property.value);
			}
		}
		return parsed;
	}

	private static Connection openConsole(Driver driver, Properties parsed) throws SQLException {
		Properties console = new Properties();
		console.putAll(parsed);
		// The console runs only simple queries, and refuses pgjdbc's SET extra_float_digits
		// after login (to stats_users, and to admin_users before PgBouncer 1.25): pgjdbc sends
		// no SET on a replication connection, and PgBouncer's console ignores the parameter
		console.setProperty("preferQueryMode", "simple");
		console.setProperty("replication", "database");
		// The console is neither a primary nor a standby: the pool's choice among its hosts
		// cannot be checked there
		console.setProperty("targetServerType", "any");
		return driver.connect(consoleUrl(parsed), console);
	}

	private static String consoleUrl(Properties parsed) {
		String[] hosts = parsed.getProperty("PGHOST").split(",");
		String[] ports = parsed.getProperty("PGPORT").split(",");
		StringJoiner hostsAndPorts = new StringJoiner(",");
		for (int i = 0; i < hosts.length; i++) {
			hostsAndPorts.add(hosts[i] + ":" + ports[Math.min(i, ports.length - 1)]);
		}
		return "jdbc:postgresql://" + hostsAndPorts + "/" + CONSOLE_DATABASE;
	}

	private static PgBouncerLimits read(Connection console, String database, String user) throws SQLException {
		Map<String, String> config = new HashMap<>();
		try (Statement statement = console.createStatement();
				ResultSet result = statement.executeQuery("SHOW CONFIG")) {
			while (result.next()) {
				config.put(result.getString("key"), result.getString("value"));
			}
		}
		Map<String, String> databaseRow = row(console, "SHOW DATABASES", database);
		if (databaseRow == null) {
			return PgBouncerLimits.unreadable("PgBouncer has no database '" + database + "' (SHOW DATABASES)");
		}
		String forcedUser = databaseRow.get("force_user");
		Map<String, String> userRow = row(console, "SHOW USERS",
				(forcedUser != null && !forcedUser.isEmpty()) ? forcedUser : user);
		PoolMode poolMode = poolMode(userRow, databaseRow, config);
		int databaseLimit = ServerLimits.NO_LIMIT;
		int userLimit = ServerLimits.NO_LIMIT;
		if (poolMode == PoolMode.SESSION) {
			databaseLimit = limit(number(databaseRow, "max_connections"));
			userLimit = number(databaseRow, "pool_size") + number(databaseRow, "reserve_pool");
			int maxUserConnections = number(config, "max_user_connections");
			if (maxUserConnections > 0) {
				userLimit = Math.min(userLimit, maxUserConnections);
			}
		}
		ServerLimits limits = new ServerLimits(number(config, "max_client_conn"), 0, databaseLimit, userLimit,
				ServerLimits.Source.PGBOUNCER);
		return PgBouncerLimits.readable(limits, poolMode);
	}

	private static @Nullable Map<String, String> row(Connection console, String command, String name)
			throws SQLException {
		try (Statement statement = console.createStatement(); ResultSet result = statement.executeQuery(command)) {
			int columns = result.getMetaData().getColumnCount();
			while (result.next()) {
				if (name.equals(result.getString("name"))) {
					Map<String, String> row = new HashMap<>();
					for (int column = 1; column <= columns; column++) {
						row.put(result.getMetaData().getColumnName(column), result.getString(column));
					}
					return row;
				}
			}
			return null;
		}
	}

	// The most specific pool mode set wins, as in PgBouncer: the user's, the database's, the
	// global one
	private static PoolMode poolMode(@Nullable Map<String, String> userRow, Map<String, String> databaseRow,
			Map<String, String> config) {
		for (String mode : new String[] { (userRow != null) ? userRow.get("pool_mode") : null,
				databaseRow.get("pool_mode"), config.get("pool_mode") }) {
			if (mode != null && !mode.isEmpty()) {
				return PoolMode.of(mode);
			}
		}
		return PoolMode.UNKNOWN;
	}

	private static int number(Map<String, String> values, String name) {
		String value = values.get(name);
		return (value != null && !value.isEmpty()) ? Integer.parseInt(value.trim()) : 0;
	}

	// PgBouncer's 0 means "no limit"
	private static int limit(int value) {
		return (value > 0) ? value : ServerLimits.NO_LIMIT;
	}

	// The answers that will not change by asking again; anything else (PgBouncer down, full,
	// restarting) is the caller's to classify
	private static @Nullable String refusal(SQLException ex, String user) {
		String message = String.valueOf(ex.getMessage());
		if (message.contains("not allowed") || message.contains("admin access needed")) {
			return "user '" + user + "' may not read PgBouncer's admin console: it is in neither stats_users nor "
					+ "admin_users of pgbouncer.ini";
		}
		if ("3D000".equals(ex.getSQLState())) {
			return "no PgBouncer admin console answers there: " + message;
		}
		return null;
	}

}
