package io.dbbudget.autoconfigure;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import io.dbbudget.test.PrivateMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for fleet coordination on MariaDB through named locks, on a private server with
 * {@code max_connections = 40}: members count each other, take equal shares, never hold more
 * than the budget together, and follow members that join and leave. One member uses MySQL
 * Connector/J, the others MariaDB Connector/J.
 */
class MySqlFleetCoordinationOnMariaDbTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(500);

	private static PrivateMariaDb server;

	private static MariaDbDatabase database;

	@BeforeAll
	static void startServer() {
		server = PrivateMariaDb.builder().maxConnections(40).start();
		database = MariaDbDatabase.create(server, "mysql_fleet");
	}

	@AfterAll
	static void stopServer() {
		database.close();
		server.close();
	}

	private ApplicationContextRunner member(MySqlDriver driver) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(driver),
					"spring.datasource.username=" + database.username(),
					"spring.datasource.password=" + database.password(),
					"spring.datasource.hikari.maximum-pool-size=20", "spring.application.name=orders",
					"db.budget.coordination.enabled=true", "db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms");
	}

	@Test
	void membersCountEachOtherAndTakeEqualSharesWithinTheBudget() {
		AtomicInteger mostHeld = new AtomicInteger();
		member(MySqlDriver.MARIADB).run((first) -> member(MySqlDriver.MYSQL).run((second) -> {
			// 40 - 3 kept for a joiner - 1 coordination connection each, split in two
			awaitShares(List.of(first, second), 17, 4, mostHeld);
			member(MySqlDriver.MARIADB)
				.run((third) -> awaitShares(List.of(first, second, third), 11, 4, mostHeld));
			// A leaver's share is taken two turns after it vanished; its min-pool-size and
			// coordination connection ten turns after, in case it is alive and rejoins
			awaitShares(List.of(first, second), 16, 4, mostHeld);
			awaitShares(List.of(first, second), 17, 14, mostHeld);
		}));
		assertThat(mostHeld.get()).isLessThanOrEqualTo(40);
	}

	private static void awaitShares(List<AssertableApplicationContext> members, int share, int heartbeats,
			AtomicInteger mostHeld) {
		await().atMost(HEARTBEAT.multipliedBy(heartbeats)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
			int pools = 0;
			for (AssertableApplicationContext member : members) {
				pools += maximumPoolSize(member.getBean(DataSource.class));
			}
			// The pools' maxima, with one coordination connection each, never exceed the server
			mostHeld.accumulateAndGet(pools + members.size(), Math::max);
			for (AssertableApplicationContext member : members) {
				assertThat(member.getBean(BudgetedPools.class).getFleet().members()).hasSize(members.size());
				assertThat(maximumPoolSize(member.getBean(DataSource.class))).isGreaterThanOrEqualTo(share);
			}
		});
	}

	private static int maximumPoolSize(DataSource dataSource) throws SQLException {
		return dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize();
	}

}
