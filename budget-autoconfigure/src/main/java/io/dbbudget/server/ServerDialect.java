package io.dbbudget.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Function;

import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.fleet.FleetMember;
import io.dbbudget.fleet.FleetView;
import io.dbbudget.fleet.MemberState;
import io.dbbudget.server.mysql.MySqlDialect;
import io.dbbudget.server.postgresql.PostgreSqlDialect;
import org.jspecify.annotations.Nullable;

/**
 * What db-budget asks of one kind of database server, each product's SQL behind one small
 * interface: its limits, the errors by which it says it ended sessions, the driver property
 * that names the application's sessions, the activity sample, the termination of idle
 * sessions and fleet membership. {@link #forUrl(String)} finds the dialect of a JDBC URL.
 *
 * @author db-budget team
 */
public interface ServerDialect {

	/**
	 * The product's name, for messages.
	 * @return for example {@code PostgreSQL}
	 */
	String name();

	/**
	 * Whether fleet members can see what the others publish (demand, connections held), so
	 * that shares can follow demand.
	 * @return {@code false} where members can only count each other and take equal shares
	 */
	boolean publishesMemberState();

	/**
	 * Sets the driver's connect, login and read timeouts, for db-budget's own short-lived
	 * connections that must never hold start-up long on a server that does not answer.
	 * @param properties the driver properties to set them in
	 * @param connect how long to wait to connect and log in
	 * @param read how long to wait for an answer
	 */
	void setTimeouts(Properties properties, Duration connect, Duration read);

	/**
	 * Reads the server's limits and the settings the advisor checks on one connection.
	 * @param connection the connection
	 * @param settings called with the server's settings where the advisor knows them
	 * @return the limits
	 * @throws SQLException if the server cannot be asked
	 */
	default ServerLimits readLimits(Connection connection, Consumer<ServerSettings> settings)
			throws SQLException {
		return readLimits(connection);
	}

	/**
	 * Reads the server's connection limits.
	 * @param connection where to read them
	 * @return the limits, saying where each number came from
	 * @throws SQLException if the server cannot be asked
	 */
	ServerLimits readLimits(Connection connection) throws SQLException;

	/**
	 * The errors by which the server says it ended sessions.
	 * @return the errors
	 */
	EndedSessionStates endedSessionStates();

	/**
	 * The driver property that names the application's sessions.
	 * @param jdbcUrl the pool's URL
	 * @param properties the pool's data source properties
	 * @param applicationName the name
	 * @return the property to set, or {@code null} if the URL or the properties name the
	 * sessions already
	 */
	@Nullable DriverProperty applicationNameProperty(String jdbcUrl, Properties properties, String applicationName);

	/**
	 * Reads what the server's sessions are doing.
	 * @param connection where to read it
	 * @return the activity
	 * @throws SQLException if the server cannot be asked
	 */
	ServerActivity readActivity(Connection connection) throws SQLException;

	/**
	 * Ends the application's own sessions idle longer than the age.
	 * @param connection a connection of the application
	 * @param idleLongerThan the age
	 * @param spared the sessions to leave alone, however idle the server shows them
	 * @return what was ended, or why nothing was looked for
	 * @throws SQLException if the server cannot be asked
	 */
	IdleSessionTermination terminateIdleSessions(Connection connection, Duration idleLongerThan,
			SparedSessions spared) throws SQLException;

	/**
	 * Joins a fleet, see {@link PostgreSqlFleetMembership#join(Connection, int)}.
	 * @param connection the member's own connection
	 * @param groupKey the group's key, {@link PostgreSqlFleetMembership#groupKey(String)}
	 * @return the slot taken, or empty if every slot is taken
	 * @throws SQLException if the server cannot be asked
	 */
	OptionalInt joinFleet(Connection connection, int groupKey) throws SQLException;

	/**
	 * Has the server end a session of db-budget's own once it has been idle for long, with the
	 * locks it holds. Servers that cannot be told so leave the session as it is.
	 * @param connection the session's connection
	 * @param idle how long the session may be idle
	 * @throws SQLException if the server cannot be told
	 */
	void endIdleSessionAfter(Connection connection, Duration idle) throws SQLException;

	/**
	 * One member's turn, see {@link PostgreSqlFleetMembership#takeTurn}.
	 * @param connection the member's own connection
	 * @param groupKey the group's key
	 * @param view what the member knows of its group between turns on this connection, and
	 * how long it waits for the turn
	 * @param decision what to publish, given the members
	 * @return the members seen, or {@code null} if the turn could not be had in time
	 * @throws SQLException if the server cannot be asked
	 */
	@Nullable List<FleetMember> takeFleetTurn(Connection connection, int groupKey, FleetView view,
			Function<List<FleetMember>, MemberState> decision) throws SQLException;

	/**
	 * The dialect of a JDBC URL.
	 * @param jdbcUrl the URL
	 * @return the dialect, or {@code null} for a database db-budget does not know
	 */
	static @Nullable ServerDialect forUrl(@Nullable String jdbcUrl) {
		if (jdbcUrl == null) {
			return null;
		}
		String url = jdbcUrl.toLowerCase(Locale.ROOT);
		if (url.startsWith("jdbc:postgresql:")) {
			return PostgreSqlDialect.INSTANCE;
		}
		// MariaDB Connector/J also takes jdbc:mysql: with permitMysqlScheme
		if (url.startsWith("jdbc:mysql:") || url.startsWith("jdbc:mariadb:")) {
			return MySqlDialect.INSTANCE;
		}
		return null;
	}

	/**
	 * The dialect of an open connection, from its URL.
	 * @param connection the connection
	 * @return the dialect, or {@code null} for a database db-budget does not know
	 * @throws SQLException if the driver cannot say its URL
	 */
	static @Nullable ServerDialect of(Connection connection) throws SQLException {
		return forUrl(connection.getMetaData().getURL());
	}

	/**
	 * A driver property to set.
	 *
	 * @param name its name
	 * @param value its value
	 */
	record DriverProperty(String name, String value) {

	}

}
