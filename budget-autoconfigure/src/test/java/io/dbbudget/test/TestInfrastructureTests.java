package io.dbbudget.test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Proves that the test infrastructure works against a real PostgreSQL server.
 */
class TestInfrastructureTests {

	@Test
	void roleConnectionLimitRejectsConnectionsBeyondIt() throws SQLException {
		try (TestDatabase database = TestDatabase.create("test-infrastructure")) {
			assertThat(database.databaseName()).isEqualTo("dbb_test_infrastructure");
			database.setRoleConnectionLimit(2);
			try (Connection first = database.openConnection(); Connection second = database.openConnection()) {
				assertThat(database.sessionCount()).isEqualTo(2);
				assertThatExceptionOfType(SQLException.class).isThrownBy(database::openConnection)
					.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("53300"));
				assertThat(database.terminateSessions()).isEqualTo(2);
				assertThat(database.sessionCount()).isZero();
			}
		}
		assertThat(databaseExists("dbb_test_infrastructure")).isFalse();
	}

	@Test
	void privateServerHasItsOwnSettingsAndSurvivesRestart() throws SQLException {
		Path directory;
		try (PrivateServer server = PrivateServer.builder().maxConnections(7).superuserReservedConnections(2).start()) {
			directory = server.directory();
			assertThat(server.isRunning()).isTrue();
			assertThat(show(server, "max_connections")).isEqualTo("7");
			assertThat(show(server, "superuser_reserved_connections")).isEqualTo("2");
			server.restart();
			assertThat(server.isRunning()).isTrue();
			assertThat(show(server, "max_connections")).isEqualTo("7");
		}
		assertThat(directory).doesNotExist();
	}

	private static String show(PrivateServer server, String setting) throws SQLException {
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SHOW " + setting)) {
			result.next();
			return result.getString(1);
		}
	}

	private static boolean databaseExists(String name) throws SQLException {
		try (Connection connection = TestServer.get().openAdminConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement
					.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'")) {
			result.next();
			return result.getInt(1) > 0;
		}
	}

}
