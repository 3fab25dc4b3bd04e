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
 * {@code max_client_conn} for PgBouncer as a whole and, from PgBouncer 1.24, the database's
 * {@code max_db_client_connections} and the user's {@code max_user_client_connections}, each
 * the database's or user's own where set, else the global one. In session mode a client also
 * holds one server connection for as long as it stays connected, and a client beyond
 * PgBouncer's server-side limits waits in its queue until {@code query_wait_timeout} fails it,
 * so those limits cap it too: the database's {@code max_db_connections} and, for the user
 * PgBouncer logs in to the server as (the database's forced user, else the pool's), the
 * {@code pool_size} plus {@code reserve_pool_size} of the user (from {@code [users]}) or else of
 * the database, and the user's {@code max_user_connections}. In transaction and statement mode
 * clients only queue for a server connection for each transaction or statement, which is what
 * those modes are for, so the server-side limits do not count. PgBouncer before 1.23 shows no
 * user's own {@code max_user_connections} on its console: the global one is taken.
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
		for (Map<String, String> row : rows(console, "SHOW CONFIG", "key").values()) {
			config.put(row.get("key"), row.get("value"));
		}
		return limits(config, rows(console, "SHOW DATABASES", "name"), rows(console, "SHOW USERS", "name"), database,
				user);
	}

	/**
	 * PgBouncer's limits for a pool, from what its admin console shows.
	 * @param config {@code SHOW CONFIG}: each setting's value by its key
	 * @param databases {@code SHOW DATABASES}: each row by its name, each value by its column
	 * @param users {@code SHOW USERS}: each row by its name, each value by its column
	 * @param database the database the pool connects to
	 * @param user the user the pool logs in as
	 * @return the limits and pool mode, or why they cannot be read
	 */
	static PgBouncerLimits limits(Map<String, String> config, Map<String, Map<String, String>> databases,
			Map<String, Map<String, String>> users, String database, String user) {
		Map<String, String> databaseRow = databases.get(database);
		if (databaseRow == null) {
			return PgBouncerLimits.unreadable("PgBouncer has no database '" + database + "' (SHOW DATABASES)");
		}
		// A database's server connections log in as its forced user, if it has one, while its
		// clients count against the user they log in as
		String forcedUser = databaseRow.get("force_user");
		Map<String, String> serverUser = users.get(isSet(forcedUser) ? forcedUser : user);
		Map<String, String> clientUser = users.get(user);
		PoolMode poolMode = poolMode(serverUser, databaseRow, config);
		// PgBouncer 1.24 refuses clients beyond these in every pool mode; SHOW DATABASES and
		// SHOW USERS answer the database's and the user's own, else the global one
		int databaseLimit = limit(number(databaseRow, "max_client_connections"));
		int userLimit = limit(setting(clientUser, config, "max_user_client_connections"));
		if (poolMode == PoolMode.SESSION) {
			databaseLimit = smallest(databaseLimit, limit(number(databaseRow, "max_connections")));
			// SHOW DATABASES named reserve_pool_size reserve_pool before PgBouncer 1.24
			int reservePool = number(databaseRow,
					databaseRow.containsKey("reserve_pool") ? "reserve_pool" : "reserve_pool_size");
			userLimit = smallest(userLimit, own(serverUser, "pool_size", number(databaseRow, "pool_size"))
					+ own(serverUser, "reserve_pool_size", reservePool));
			userLimit = smallest(userLimit, limit(setting(serverUser, config, "max_user_connections")));
		}
		ServerLimits limits = new ServerLimits(number(config, "max_client_conn"), 0, databaseLimit, userLimit,
				ServerLimits.Source.PGBOUNCER);
		return PgBouncerLimits.readable(limits, poolMode);
	}

	// Each row of a SHOW command by the value of one of its columns, each value by its column
	private static Map<String, Map<String, String>> rows(Connection console, String command, String key)
			throws SQLException {
		Map<String, Map<String, String>> rows = new HashMap<>();
		try (Statement statement = console.createStatement(); ResultSet result = statement.executeQuery(command)) {
			int columns = result.getMetaData().getColumnCount();
			while (result.next()) {
				Map<String, String> row = new HashMap<>();
				for (int column = 1; column <= columns; column++) {
					String value = result.getString(column);
					if (value != null) {
						row.put(result.getMetaData().getColumnName(column), value);
					}
				}
				rows.put(row.get(key), row);
			}
		}
		return rows;
	}

	// The most specific pool mode set wins, as in PgBouncer: the user's, the database's, the
	// global one
	private static PoolMode poolMode(@Nullable Map<String, String> userRow, Map<String, String> databaseRow,
			Map<String, String> config) {
		for (String mode : new String[] { (userRow != null) ? userRow.get("pool_mode") : null,
				databaseRow.get("pool_mode"), config.get("pool_mode") }) {
			if (isSet(mode)) {
				return PoolMode.of(mode);
			}
		}
		return PoolMode.UNKNOWN;
	}

	// SHOW USERS answers a user's own value, else the global one, from PgBouncer 1.23 on (1.24
	// for max_user_client_connections); before, only SHOW CONFIG's global one can be read
	private static int setting(@Nullable Map<String, String> userRow, Map<String, String> config, String name) {
		return (userRow != null && userRow.containsKey(name)) ? number(userRow, name) : number(config, name);
	}

	// A user's own pool_size (PgBouncer 1.23 on) and reserve_pool_size (1.24 on) from [users]
	// win over the database's; SHOW USERS leaves them blank where the user sets none
	private static int own(@Nullable Map<String, String> userRow, String column, int database) {
		return (userRow != null && isSet(userRow.get(column))) ? number(userRow, column) : database;
	}

	private static boolean isSet(@Nullable String value) {
		return value != null && !value.isBlank();
	}

	private static int smallest(int limit, int other) {
		if (limit == ServerLimits.NO_LIMIT) {
			return other;
		}
		return (other == ServerLimits.NO_LIMIT) ? limit : Math.min(limit, other);
	}

	private static int number(Map<String, String> values, String name) {
		String value = values.get(name);
		return isSet(value) ? Integer.parseInt(value.trim()) : 0;
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
