package io.dbbudget.server.mysql;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.dbbudget.budget.ServerLimits;
import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import io.dbbudget.test.PrivateMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link MySqlLimitsReader} on a private MariaDB, read by an account without any
 * privilege beyond its database, with both drivers.
 */
class MySqlLimitsReaderOnMariaDbTests {

	private static final int MAX_CONNECTIONS = 10;

	private static final int GLOBAL_USER_LIMIT = 8;

	private static PrivateMariaDb server;

	private static MariaDbDatabase database;

	@BeforeAll
	static void startServer() {
		server = PrivateMariaDb.builder()
			.maxConnections(MAX_CONNECTIONS)
			.setting("max-user-connections", String.valueOf(GLOBAL_USER_LIMIT))
			.start();
		database = MariaDbDatabase.create(server, "mysql-limits-reader");
	}

	@AfterAll
	static void stopServer() {
		database.close();
		server.close();
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void readsTheAccountsOwnMaxUserConnections(MySqlDriver driver) throws SQLException {
		database.setMaxUserConnections(4);
		try {
			ServerLimits limits = read(driver);
			assertThat(limits.maxConnections()).isEqualTo(MAX_CONNECTIONS);
			assertThat(limits.serverReservedConnections()).isZero();
			assertThat(limits.databaseConnectionLimit()).isEqualTo(ServerLimits.NO_LIMIT);
			assertThat(limits.roleConnectionLimit()).isEqualTo(4);
			assertThat(limits.usableConnections()).isEqualTo(4);
			assertThat(limits.sources().get("roleConnectionLimit")).contains("the account's MAX_USER_CONNECTIONS");
		}
		finally {
			database.setMaxUserConnections(0);
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void readsTheGlobalMaxUserConnectionsWhenTheAccountSetsNone(MySqlDriver driver) throws SQLException {
		ServerLimits limits = read(driver);
		assertThat(limits.roleConnectionLimit()).isEqualTo(GLOBAL_USER_LIMIT);
		assertThat(limits.usableConnections()).isEqualTo(GLOBAL_USER_LIMIT);
		assertThat(limits.sources().get("roleConnectionLimit")).contains("@@global.max_user_connections");
		assertThat(limits.sources().get("serverMaxConnections")).contains("@@max_connections");
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void theAdministratorsExtraConnectionIsBeyondMaxConnections(MySqlDriver driver) throws SQLException {
		// What the reader's answer rests on: the application may open all of max_connections,
		// and an administrator still gets in
		MariaDbDatabase other = MariaDbDatabase.create(server, "mysql-limits-other");
		List<Connection> held = new ArrayList<>();
		try {
			for (int i = 0; i < GLOBAL_USER_LIMIT; i++) {
				held.add(database.openConnection(driver));
			}
			for (int i = GLOBAL_USER_LIMIT; i < MAX_CONNECTIONS; i++) {
				held.add(other.openConnection(driver));
			}
			assertThatExceptionOfType(SQLException.class).isThrownBy(() -> other.openConnection(driver))
				.satisfies((ex) -> assertThat(ex.getErrorCode()).isEqualTo(1040));
			// The refused attempt holds the server's extra slot until its thread has ended
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
				try (Connection admin = server.openAdminConnection()) {
					assertThat(admin.isValid(1)).isTrue();
				}
			});
		}
		finally {
			for (Connection connection : held) {
				connection.close();
			}
			other.close();
		}
	}

	private static ServerLimits read(MySqlDriver driver) throws SQLException {
		try (Connection connection = database.openConnection(driver)) {
			return MySqlLimitsReader.read(connection);
		}
	}

}
