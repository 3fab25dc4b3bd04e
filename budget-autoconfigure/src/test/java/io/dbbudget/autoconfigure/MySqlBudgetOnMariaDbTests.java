package io.dbbudget.autoconfigure;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.retry.RetryingDataSource;
import io.dbbudget.test.MariaDbDatabase;
import io.dbbudget.test.MySqlDriver;
import io.dbbudget.test.PrivateMariaDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the budget of a pool on MySQL or MariaDB, with both drivers, on a private MariaDB
 * server with {@code max_connections = 40}: the limit is read from the server, the pool is
 * lowered to its share, its sessions carry the application's name and stay within the
 * budget under load. Coordinated members count each other through named locks, take equal
 * shares, never hold more than the budget together, and follow members that join and leave.
 */
class MySqlBudgetOnMariaDbTests {

	private static final Duration HEARTBEAT = Duration.ofMillis(500);

	private static PrivateMariaDb server;

	private static MariaDbDatabase database;

	@BeforeAll
	static void startServer() {
		// performance_schema shows the sessions' connection attributes
		server = PrivateMariaDb.builder().maxConnections(40).setting("performance_schema", "ON").start();
		database = MariaDbDatabase.create(server, "mysql_budget");
	}

	@AfterAll
	static void stopServer() {
		database.close();
		server.close();
	}

	private ApplicationContextRunner runner(MySqlDriver driver) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(driver),
					"spring.datasource.username=" + database.username(),
					"spring.datasource.password=" + database.password(),
					"spring.datasource.hikari.maximum-pool-size=20", "spring.application.name=orders",
					"db.budget.instances=4", "db.budget.reserved-connections=8");
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void poolIsSizedFromTheServersMaxConnections(MySqlDriver driver) {
		runner(driver).run((context) -> {
			assertThat(context).hasNotFailed();
			Budget budget = context.getBean(BudgetedPools.class).getBudget();
			assertThat(budget.server().maxConnections()).isEqualTo(40);
			assertThat(budget.server().source()).isEqualTo(ServerLimits.Source.SERVER);
			// (40 - 8) / 4: MariaDB keeps no slot of max_connections for itself
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource).isInstanceOf(RetryingDataSource.class);
			assertThat(maximumPoolSize(dataSource)).isEqualTo(8);
		});
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void theAccountsOwnLimitCapsTheBudget(MySqlDriver driver) {
		database.setMaxUserConnections(16);
		try {
			runner(driver).run((context) -> {
				Budget budget = context.getBean(BudgetedPools.class).getBudget();
				assertThat(budget.server().roleConnectionLimit()).isEqualTo(16);
				// min(40, 16) - 8 = 8 for 4 instances
				assertThat(maximumPoolSize(context.getBean(DataSource.class))).isEqualTo(2);
			});
		}
		finally {
			database.setMaxUserConnections(0);
		}
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void thirtyThreadsStayWithinTheBudgetAndFailNothing(MySqlDriver driver) {
		runner(driver).run((context) -> {
			DataSource dataSource = context.getBean(DataSource.class);
			ExecutorService workers = Executors.newFixedThreadPool(30);
			List<Integer> peaks = new ArrayList<>();
			try {
				List<Future<Integer>> work = new ArrayList<>();
				for (int i = 0; i < 300; i++) {
					work.add(workers.submit(
							() -> new JdbcTemplate(dataSource).queryForObject("SELECT SLEEP(0.01)", Integer.class)));
				}
				for (Future<Integer> done : work) {
					assertThat(done.get()).isZero();
					peaks.add(database.sessions().size());
				}
			}
			finally {
				workers.shutdown();
			}
			assertThat(peaks).allSatisfy((sessions) -> assertThat(sessions).isLessThanOrEqualTo(8));
		});
	}

	@ParameterizedTest
	@EnumSource(MySqlDriver.class)
	void sessionsCarryTheApplicationsNameAsTheirProgramName(MySqlDriver driver) {
		runner(driver).run((context) -> {
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(new JdbcTemplate(dataSource).queryForObject(
					"SELECT count(*) FROM performance_schema.session_account_connect_attrs "
							+ "WHERE ATTR_NAME = 'program_name' AND ATTR_VALUE = 'orders' AND PROCESSLIST_ID = CONNECTION_ID()",
					Integer.class))
				.isEqualTo(1);
		});
	}

	private ApplicationContextRunner coordinated(MySqlDriver driver) {
		return runner(driver).withPropertyValues("db.budget.instances=1", "db.budget.reserved-connections=0",
				"db.budget.coordination.enabled=true", "db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms");
	}

	@Test
	void fleetMembersCountEachOtherAndTakeEqualSharesWithinTheBudget() {
		AtomicInteger mostHeld = new AtomicInteger();
		coordinated(MySqlDriver.MARIADB).run((first) -> coordinated(MySqlDriver.MYSQL).run((second) -> {
			// 40 - 3 kept for a joiner - 1 coordination connection each, split in two
			awaitShares(List.of(first, second), 17, 4, mostHeld);
			coordinated(MySqlDriver.MARIADB)
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
