package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.PrivateServer;
import io.dbbudget.test.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The budget on PostgreSQL 16 and later, where {@code reserved_connections} keeps slots for
 * roles with {@code pg_use_reserved_connections} on top of {@code superuser_reserved_connections}.
 * <p>
 * The build runs this class only in its run against the newer major from Maven Central
 * ({@code -Ddb-budget.test.server=embedded}): older servers refuse the setting.
 */
@ExtendWith(OutputCaptureExtension.class)
class ReservedConnectionsOnNewerMajorTests {

	private static final String ROLE = "orders_app";

	private static final int MAX_CONNECTIONS = 40;

	private static final int SUPERUSER_RESERVED = 3;

	private static final int RESERVED = 4;

	private static PrivateServer server;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + server.jdbcUrl("orders"),
				"spring.datasource.username=" + ROLE, "spring.datasource.password=secret",
				"spring.datasource.hikari.maximum-pool-size=20", "spring.application.name=orders",
				"db.budget.instances=4", "db.budget.reserved-connections=5");

	@BeforeAll
	static void startServer() throws SQLException {
		server = PrivateServer.builder()
			.maxConnections(MAX_CONNECTIONS)
			.superuserReservedConnections(SUPERUSER_RESERVED)
			.setting("reserved_connections", String.valueOf(RESERVED))
			.start();
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE DATABASE orders OWNER " + ROLE);
		}
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@Test
	void theServersAreTheNewerMajorOfTheBinaries() throws SQLException {
		Matcher jar = Pattern.compile("-(\\d+)\\.\\d+\\.\\d+\\.jar$")
			.matcher(System.getProperty("db-budget.test.postgres-binaries", ""));
		assertThat(jar.find()).as("binaries jar of this run").isTrue();
		int major = Integer.parseInt(jar.group(1));
		assertThat(major).isGreaterThanOrEqualTo(17);
		assertThat(TestServer.isEmbeddedOnly()).isTrue();
		try (Connection connection = TestServer.get().openAdminConnection()) {
			assertThat(majorVersion(connection)).isEqualTo(major);
		}
		try (Connection connection = server.openConnection("postgres")) {
			assertThat(majorVersion(connection)).isEqualTo(major);
		}
	}

	@Test
	void reservedConnectionsAreLeftOutOfTheBudget(CapturedOutput output) {
		this.runner.run((context) -> {
			Budget budget = context.getBean(BudgetedPools.class).getBudget();
			assertThat(budget.server()).isEqualTo(new ServerLimits(MAX_CONNECTIONS, SUPERUSER_RESERVED + RESERVED,
					ServerLimits.NO_LIMIT, ServerLimits.NO_LIMIT, ServerLimits.Source.SERVER));
			// (40 - (3 + 4) - 5) / 4
			assertThat(budget.perInstance()).isEqualTo(7);
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(7);
			assertThat(output).contains("40 max-connections (from the server) - 7 server-reserved = 33 usable");
		});
	}

	@Test
	void anOrdinaryRoleGetsExactlyTheUsableConnections() throws SQLException {
		int usable = MAX_CONNECTIONS - SUPERUSER_RESERVED - RESERVED;
		List<Connection> connections = new ArrayList<>();
		try {
			for (int i = 0; i < usable; i++) {
				connections.add(DriverManager.getConnection(server.jdbcUrl("orders"), ROLE, "secret"));
			}
			assertThatExceptionOfType(SQLException.class)
				.isThrownBy(() -> DriverManager.getConnection(server.jdbcUrl("orders"), ROLE, "secret").close())
				.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("53300"))
				.withMessageContaining("pg_use_reserved_connections");
		}
		finally {
			for (Connection connection : connections) {
				connection.close();
			}
		}
	}

	private static int majorVersion(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
			result.next();
			return result.getInt(1);
		}
	}

}
