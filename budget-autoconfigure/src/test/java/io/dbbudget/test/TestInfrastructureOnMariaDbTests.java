package io.dbbudget.test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Proves that the MariaDB test infrastructure works against a real MariaDB server, with both
 * drivers.
 */
class TestInfrastructureOnMariaDbTests {

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void maxUserConnectionsRejectsConnectionsBeyondIt(MySqlDriver driver) throws SQLException {
		try (MariaDbDatabase database = MariaDbDatabase.create("infrastructure-" + driver)) {
			assertThat(database.databaseName()).isEqualTo("dbb_infrastructure_" + driver.name().toLowerCase());
			database.setMaxUserConnections(2);
			try (Connection first = database.openConnection(driver);
					Connection second = database.openConnection(driver)) {
				assertThat(database.sessions()).hasSize(2);
				assertThatExceptionOfType(SQLException.class).isThrownBy(() -> database.openConnection(driver))
					.satisfies((ex) -> assertThat(ex.getErrorCode()).isEqualTo(1226));
				assertThat(database.killSessions()).isEqualTo(2);
			}
		}
		try (Connection admin = TestMariaDb.get().openAdminConnection();
				Statement statement = admin.createStatement();
				ResultSet result = statement.executeQuery(
						"SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbb_infrastructure_%'")) {
			result.next();
			assertThat(result.getInt(1)).isZero();
		}
	}

	@Test
	void privateServerHasItsOwnSettingsAndShutsDown() throws SQLException {
		try (PrivateMariaDb server = PrivateMariaDb.builder().maxConnections(12).start()) {
			try (Connection connection = server.openAdminConnection();
					Statement statement = connection.createStatement();
					ResultSet result = statement.executeQuery("SELECT @@max_connections")) {
				result.next();
				assertThat(result.getInt(1)).isEqualTo(12);
			}
			server.shutdown();
			assertThat(server.isRunning()).isFalse();
			assertThatExceptionOfType(SQLException.class).isThrownBy(server::openAdminConnection);
			server.start();
			assertThat(server.isRunning()).isTrue();
		}
	}

}
