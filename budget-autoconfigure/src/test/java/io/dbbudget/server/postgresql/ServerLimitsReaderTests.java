package io.dbbudget.server.postgresql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

import io.dbbudget.budget.ServerLimits;
import io.dbbudget.test.TestDatabase;
import io.dbbudget.test.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import org.springframework.jdbc.datasource.DriverManagerDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link ServerLimitsReader} on a real server, read by a role that is not a
 * superuser.
 */
class ServerLimitsReaderTests {

	private static final int LOGIN_ROLE_LIMIT = 4;

	private static final int SET_ROLE_LIMIT = 40;

	private static TestDatabase database;

	private static String setRole;

	@BeforeAll
	static void createDatabase() throws SQLException {
		database = TestDatabase.create("server-limits-reader");
		setRole = database.username() + "_app";
		database.setRoleConnectionLimit(LOGIN_ROLE_LIMIT);
		try (Connection connection = TestServer.get().openAdminConnection();
				Statement statement = connection.createStatement()) {
			statement.execute("DROP ROLE IF EXISTS " + setRole);
			statement.execute("CREATE ROLE " + setRole + " NOLOGIN CONNECTION LIMIT " + SET_ROLE_LIMIT);
			statement.execute("GRANT " + setRole + " TO " + database.username());
		}
	}

	@AfterAll
	static void dropDatabase() throws SQLException {
		try (Connection connection = TestServer.get().openAdminConnection();
				Statement statement = connection.createStatement()) {
			statement.execute("DROP ROLE IF EXISTS " + setRole);
		}
		database.close();
	}

	@Test
	void readsTheRoleLimitOfTheLoginRole() throws SQLException {
		ServerLimits limits = read(dataSource(database.jdbcUrl()));
		assertThat(limits.roleConnectionLimit()).isEqualTo(LOGIN_ROLE_LIMIT);
		assertThat(limits.usableConnections()).isEqualTo(LOGIN_ROLE_LIMIT);
	}

	@Test
	void readsTheRoleLimitOfTheLoginRoleWhenTheUrlSetsAnotherRole() throws SQLException {
		DataSource dataSource = dataSource(database.jdbcUrl() + "?options=-c%20role%3D" + setRole);
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT current_user, session_user")) {
			result.next();
			assertThat(result.getString(1)).isEqualTo(setRole);
			assertThat(result.getString(2)).isEqualTo(database.username());
		}
		ServerLimits limits = read(dataSource);
		assertThat(limits.roleConnectionLimit()).isEqualTo(LOGIN_ROLE_LIMIT);
		assertThat(limits.usableConnections()).isEqualTo(LOGIN_ROLE_LIMIT);
	}

	@Test
	void theServerEnforcesTheLimitOfTheLoginRoleNotOfTheRoleSet() throws SQLException {
		// What the reader's answer rests on: PostgreSQL counts the login role's sessions
		DataSource dataSource = dataSource(database.jdbcUrl() + "?options=-c%20role%3D" + setRole);
		List<Connection> held = new ArrayList<>();
		try {
			for (int i = 0; i < LOGIN_ROLE_LIMIT; i++) {
				held.add(dataSource.getConnection());
			}
			assertThatExceptionOfType(PSQLException.class).isThrownBy(dataSource::getConnection)
				.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("53300"))
				.withMessageContaining("too many connections for role \"" + database.username() + "\"");
		}
		finally {
			for (Connection connection : held) {
				connection.close();
			}
		}
	}

	private static ServerLimits read(DataSource dataSource) throws SQLException {
		try (Connection connection = dataSource.getConnection()) {
			return ServerLimitsReader.read(connection);
		}
	}

	private static DataSource dataSource(String url) {
		return new DriverManagerDataSource(url, database.username(), database.password());
	}

}
