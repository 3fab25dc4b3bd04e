package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests that fleet coordination survives a restart of the server: every member loses its
 * coordination session, rejoins without help, and the pools serve again.
 */
class FleetCoordinationRestartTests {

	private static final String ROLE = "fleet_app";

	private static final Duration HEARTBEAT = Duration.ofMillis(500);

	private static PrivateServer server;

	private final List<ConfigurableApplicationContext> members = new CopyOnWriteArrayList<>();

	@BeforeAll
	static void startServer() throws SQLException {
		server = PrivateServer.builder().maxConnections(30).start();
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE DATABASE fleet OWNER " + ROLE);
		}
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@AfterEach
	void stopMembers() {
		this.members.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void membersRejoinAfterARestartAndServeWithoutErrors() {
		startMembers();
		// (30 - 3 reserved by the server - 3 kept for a joiner) / 2 = 12 per instance, 1 for coordination
		awaitMembersAndPoolsOf(2, 11);
		server.restart();
		awaitMembersAndPoolsOf(2, 11);
		for (ConfigurableApplicationContext member : this.members) {
			JdbcTemplate jdbc = new JdbcTemplate(member.getBean(DataSource.class));
			for (int i = 0; i < 20; i++) {
				assertThat(jdbc.queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
			}
		}
	}

	@Test
	void membersReadTheLimitsAgainWhenTheServerComesBackWithFewerConnections() throws SQLException {
		startMembers();
		awaitMembersAndPoolsOf(2, 11);
		alterMaxConnections("20");
		try {
			server.restart();
			// (20 - 3 - 3) / 2 = 7 per instance, 1 for coordination
			awaitMembersAndPoolsOf(2, 6);
		}
		finally {
			alterMaxConnections(null);
			server.restart();
		}
	}

	private void startMembers() {
		for (int i = 0; i < 2; i++) {
			this.members.add(new SpringApplicationBuilder(FleetCoordinationTests.Member.class)
				.web(WebApplicationType.NONE)
				.properties("spring.datasource.url=" + server.jdbcUrl("fleet"), "spring.datasource.username=" + ROLE,
						"spring.datasource.password=secret", "spring.datasource.hikari.maximum-pool-size=20",
						"spring.application.name=fleet-restart", "db.budget.coordination.enabled=true",
						"db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms")
				.run());
		}
	}

	private static void alterMaxConnections(String value) throws SQLException {
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute((value != null) ? "ALTER SYSTEM SET max_connections = " + value
					: "ALTER SYSTEM RESET max_connections");
		}
	}

	private void awaitMembersAndPoolsOf(int count, int size) {
		await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(this.members).allSatisfy((member) -> {
			BudgetedPools pools = member.getBean(BudgetedPools.class);
			assertThat(pools.getFleet().connected()).isTrue();
			assertThat(pools.getFleet().members()).hasSize(count);
			assertThat(pools.getPools())
				.allSatisfy((pool) -> assertThat(pool.dataSource().getMaximumPoolSize()).isEqualTo(size));
		}));
	}

}
