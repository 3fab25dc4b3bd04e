package io.dbbudget.server.postgresql;

import java.sql.Connection;
import java.sql.PreparedStatement;
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
import io.dbbudget.fleet.PostgreSqlFleetMembership;
import io.dbbudget.server.EndedSessionStates;
import io.dbbudget.server.IdleSessionTermination;
import io.dbbudget.server.ServerActivity;
import io.dbbudget.server.ServerDialect;
import io.dbbudget.server.SparedSessions;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL: {@link ServerLimitsReader}, {@link ServerActivityReader},
 * {@link IdleSessionTerminator}, {@link PostgreSqlFleetMembership} and pgjdbc's {@code ApplicationName}.
 *
 * @author db-budget team
 */
public final class PostgreSqlDialect implements ServerDialect {

	public static final PostgreSqlDialect INSTANCE = new PostgreSqlDialect();

	private static final String APPLICATION_NAME = "ApplicationName";

	private PostgreSqlDialect() {
	}

	@Override
	public String name() {
		return "PostgreSQL";
	}

	@Override
	public boolean publishesMemberState() {
		return true;
	}

	@Override
	public void setTimeouts(Properties properties, Duration connect, Duration read) {
		// pgjdbc takes whole seconds
		properties.setProperty("connectTimeout", String.valueOf(Math.max(1, connect.toSeconds())));
		properties.setProperty("loginTimeout", String.valueOf(Math.max(1, connect.toSeconds())));
		properties.setProperty("socketTimeout", String.valueOf(Math.max(1, read.toSeconds())));
	}

	@Override
	public ServerLimits readLimits(Connection connection, Consumer<ServerSettings> settings) throws SQLException {
		ServerLimits limits = ServerLimitsReader.read(connection);
		settings.accept(ServerSettingsReader.read(connection));
		return limits;
	}

	@Override
	public ServerLimits readLimits(Connection connection) throws SQLException {
		return ServerLimitsReader.read(connection);
	}

	@Override
	public EndedSessionStates endedSessionStates() {
		return EndedSessionStates.POSTGRESQL;
	}

	@Override
	public @Nullable DriverProperty applicationNameProperty(String jdbcUrl, Properties properties,
			String applicationName) {
		boolean set = jdbcUrl.toLowerCase(Locale.ROOT).contains("applicationname=")
				|| properties.stringPropertyNames().stream().anyMatch(APPLICATION_NAME::equalsIgnoreCase);
		return set ? null : new DriverProperty(APPLICATION_NAME, applicationName);
	}

	@Override
	public ServerActivity readActivity(Connection connection) throws SQLException {
		return ServerActivityReader.read(connection);
	}

	@Override
	public IdleSessionTermination terminateIdleSessions(Connection connection, Duration idleLongerThan,
			SparedSessions spared) throws SQLException {
		return IdleSessionTerminator.terminate(connection, idleLongerThan, spared);
	}

	@Override
	public OptionalInt joinFleet(Connection connection, int groupKey) throws SQLException {
		return PostgreSqlFleetMembership.join(connection, groupKey);
	}

	@Override
	public void endIdleSessionAfter(Connection connection, Duration idle) throws SQLException {
		// idle_session_timeout came with PostgreSQL 14
		if (connection.getMetaData().getDatabaseMajorVersion() < 14) {
			return;
		}
		try (PreparedStatement statement = connection
			.prepareStatement("SELECT set_config('idle_session_timeout', ?, false)")) {
			statement.setString(1, Math.max(1, idle.toMillis()) + "ms");
			statement.execute();
		}
	}

	@Override
	public @Nullable List<FleetMember> takeFleetTurn(Connection connection, int groupKey, FleetView view,
			Function<List<FleetMember>, MemberState> decision) throws SQLException {
		return PostgreSqlFleetMembership.takeTurn(connection, groupKey, view, decision);
	}

}
