package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.function.Function;

import io.dbbudget.budget.ServerLimits;
import io.dbbudget.fleet.FleetMember;
import io.dbbudget.fleet.FleetView;
import io.dbbudget.fleet.MemberState;
import io.dbbudget.fleet.MySqlFleetMembership;
import io.dbbudget.server.EndedSessionStates;
import io.dbbudget.server.IdleSessionTermination;
import io.dbbudget.server.ServerActivity;
import io.dbbudget.server.ServerDialect;
import io.dbbudget.server.SparedSessions;
import org.jspecify.annotations.Nullable;

/**
 * MySQL and MariaDB, one dialect for both: {@link MySqlLimitsReader},
 * {@link MySqlActivityReader}, {@link MySqlIdleSessionTerminator},
 * {@link MySqlFleetMembership} and the {@code program_name} connection attribute
 * ({@link MySqlApplicationName}).
 *
 * @author db-budget team
 */
public final class MySqlDialect implements ServerDialect {

	public static final MySqlDialect INSTANCE = new MySqlDialect();

	private MySqlDialect() {
	}

	@Override
	public String name() {
		return "MySQL/MariaDB";
	}

	@Override
	public boolean publishesMemberState() {
		// An account cannot list other sessions' named locks or read their state
		return false;
	}

	@Override
	public void setTimeouts(Properties properties, Duration connect, Duration read) {
		// Both MySQL Connector/J and MariaDB Connector/J take milliseconds
		properties.setProperty("connectTimeout", String.valueOf(connect.toMillis()));
		properties.setProperty("socketTimeout", String.valueOf(read.toMillis()));
	}

	@Override
	public ServerLimits readLimits(Connection connection) throws SQLException {
		return MySqlLimitsReader.read(connection);
	}

	@Override
	public EndedSessionStates endedSessionStates() {
		return EndedSessionStates.MYSQL;
	}

	@Override
	public @Nullable DriverProperty applicationNameProperty(String jdbcUrl, Properties properties,
			String applicationName) {
		String attributes = MySqlApplicationName.connectionAttributes(jdbcUrl, properties, applicationName);
		return (attributes != null) ? new DriverProperty(MySqlApplicationName.PROPERTY, attributes) : null;
	}

	@Override
	public ServerActivity readActivity(Connection connection) throws SQLException {
		return MySqlActivityReader.read(connection);
	}

	@Override
	public IdleSessionTermination terminateIdleSessions(Connection connection, Duration idleLongerThan,
			SparedSessions spared) throws SQLException {
		return MySqlIdleSessionTerminator.terminate(connection, idleLongerThan, spared);
	}

	@Override
	public OptionalInt joinFleet(Connection connection, int groupKey) throws SQLException {
		return MySqlFleetMembership.join(connection, groupKey);
	}

	@Override
	public void endIdleSessionAfter(Connection connection, Duration idle) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute("SET SESSION wait_timeout = " + Math.max(1, idle.toSeconds()));
		}
	}

	@Override
	public @Nullable List<FleetMember> takeFleetTurn(Connection connection, int groupKey, FleetView view,
			Function<List<FleetMember>, MemberState> decision) throws SQLException {
		// Named locks publish no state: every member counts the members itself, at every turn
		return MySqlFleetMembership.takeTurn(connection, groupKey, view.turnWait(), decision);
	}

}
