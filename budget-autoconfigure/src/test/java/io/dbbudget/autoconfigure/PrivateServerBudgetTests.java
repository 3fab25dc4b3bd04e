package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the budget on a private PostgreSQL server with {@code max_connections = 40},
 * which these tests also stop and start: the limit comes from {@code SHOW max_connections}
 * for real, and start-up must not depend on the server being up.
 */
@ExtendWith(OutputCaptureExtension.class)
class PrivateServerBudgetTests {

	private static final String ROLE = "orders_app";

	private static PrivateServer server;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + server.jdbcUrl("orders"),
				"spring.datasource.username=" + ROLE, "spring.datasource.password=secret",
				"spring.datasource.hikari.maximum-pool-size=20", "spring.application.name=orders",
				"db.budget.instances=4", "db.budget.reserved-connections=5");

	@BeforeAll
	static void startServer() throws SQLException {
		server = PrivateServer.builder().maxConnections(40).superuserReservedConnections(3).start();
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
	void limitIsReadFromTheServerByANonSuperuser() {
		this.runner.run((context) -> {
			Budget budget = context.getBean(BudgetedPools.class).getBudget();
			assertThat(budget.server())
				.isEqualTo(new ServerLimits(40, 3, ServerLimits.NO_LIMIT, ServerLimits.NO_LIMIT,
						ServerLimits.Source.SERVER));
			// (40 - 3 - 5) / 4
			assertThat(budget.perInstance()).isEqualTo(8);
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(8);
			assertThat(new JdbcTemplate(dataSource).queryForObject(
					"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'orders' AND usename = ?",
					Integer.class, ROLE))
				.isPositive();
		});
	}

	@Test
	void startsWhileTheServerIsDownAndResizesThePoolWhenItIsBack(CapturedOutput output) {
		server.stop();
		try {
			this.runner.run((context) -> {
				assertThat(context).hasNotFailed();
				BudgetedPools pools = context.getBean(BudgetedPools.class);
				HikariDataSource pool = context.getBean(DataSource.class).unwrap(HikariDataSource.class);
				assertThat(pools.getBudget()).isNull();
				assertThat(pool.getMaximumPoolSize()).isEqualTo(1);
				assertThat(output).contains("could not read the server's connection limits")
					.contains("db-budget plan (mode enforce): waiting for the server's limits");
				server.start();
				await().atMost(Duration.ofSeconds(40)).until(() -> pools.getBudget() != null);
				assertThat(pool.getMaximumPoolSize()).isEqualTo(8);
				assertThat(pool.getMinimumIdle()).isEqualTo(8);
				assertThat(output).contains("the server answered, plan completed and pools resized");
				JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
				for (int i = 0; i < 20; i++) {
					assertThat(jdbc.queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
				}
			});
		}
		finally {
			if (!server.isRunning()) {
				server.start();
			}
		}
	}

	@Test
	void poolDeclaredAsDataSourceLeavesTheBudgetWhenTheServerAnswersAfterStartUp(CapturedOutput output) {
		// The first pool's post-processing finds the pools, while the second's bean type is
		// still its declared DataSource: it is not one of the pools that share the budget, yet
		// it registers at min-pool-size while the budget waits for the server
		server.stop();
		try {
			new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class))
				.withUserConfiguration(OrdersAndReportsConfiguration.class)
				.withPropertyValues("db.budget.instances=4", "db.budget.reserved-connections=5")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					BudgetedPools pools = context.getBean(BudgetedPools.class);
					HikariDataSource orders = context.getBean("orders", DataSource.class)
						.unwrap(HikariDataSource.class);
					HikariDataSource reports = context.getBean("reports", DataSource.class)
						.unwrap(HikariDataSource.class);
					assertThat(reports.getMaximumPoolSize()).isEqualTo(1);
					server.start();
					await().atMost(Duration.ofSeconds(40))
						.untilAsserted(() -> assertThat(output)
							.contains("the server answered, plan completed and pools resized"));
					// (40 - 3 - 5) / 4, all of it for the one pool that shares the budget
					assertThat(orders.getMaximumPoolSize()).isEqualTo(8);
					assertThat(reports.getMaximumPoolSize()).isEqualTo(6);
					assertThat(pools.getPool("reports")).isNull();
					assertThat(output).contains("db-budget: pool 'reports' is outside the budget")
						.doesNotContain("NullPointerException");
					assertThat(new JdbcTemplate(context.getBean("reports", DataSource.class))
						.queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
				});
		}
		finally {
			if (!server.isRunning()) {
				server.start();
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class OrdersAndReportsConfiguration {

		@Bean
		HikariDataSource orders() {
			return pool(20);
		}

		@Bean
		DataSource reports() {
			return pool(6);
		}

		private static HikariDataSource pool(int maximumPoolSize) {
			HikariDataSource dataSource = new HikariDataSource();
			dataSource.setJdbcUrl(server.jdbcUrl("orders"));
			dataSource.setUsername(ROLE);
			dataSource.setPassword("secret");
			dataSource.setMaximumPoolSize(maximumPoolSize);
			return dataSource;
		}

	}

}
