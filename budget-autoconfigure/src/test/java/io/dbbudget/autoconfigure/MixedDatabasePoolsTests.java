package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.retry.RetryingDataSource;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DbBudgetAutoConfiguration} with pools on two kinds of database: the
 * {@code @Primary} pool is an H2 database, created first, and the second pool is PostgreSQL.
 * The first pool must not decide the budget for both.
 */
@ExtendWith(OutputCaptureExtension.class)
class MixedDatabasePoolsTests {

	private static final int ROLE_LIMIT = 6;

	private static final int REQUESTED = 20;

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class))
		.withUserConfiguration(H2PrimaryConfiguration.class)
		.withPropertyValues("spring.application.name=orders");

	@BeforeAll
	static void createDatabase() throws SQLException {
		database = TestDatabase.create("mixed-database-pools");
		database.setRoleConnectionLimit(ROLE_LIMIT);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void postgreSqlPoolBehindAnH2PrimaryIsBudgetedFromItsServer() {
		this.runner.run((context) -> {
			BudgetedPools pools = context.getBean(BudgetedPools.class);
			Budget budget = pools.getBudget();
			assertThat(budget).isNotNull();
			assertThat(budget.server().source()).isEqualTo(ServerLimits.Source.SERVER);
			assertThat(budget.server().roleConnectionLimit()).isEqualTo(ROLE_LIMIT);
			// The H2 pool takes no share of the PostgreSQL server's connections
			assertThat(pools.getPools()).extracting(BudgetedPools.BudgetedPool::name).containsExactly("orders");
			DataSource orders = context.getBean("orders", DataSource.class);
			assertThat(orders).isInstanceOf(RetryingDataSource.class);
			assertThat(orders.unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(ROLE_LIMIT);
			assertThat(new JdbcTemplate(orders).queryForObject("SELECT current_database()", String.class))
				.isEqualTo(database.databaseName());
		});
	}

	@Test
	void h2PrimaryIsLeftAsConfiguredAndServes(CapturedOutput output) {
		this.runner.run((context) -> {
			DataSource primary = context.getBean(DataSource.class);
			assertThat(primary).isSameAs(context.getBean("local", DataSource.class));
			assertThat(primary.unwrap(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(REQUESTED);
			try (Connection connection = primary.getConnection()) {
				assertThat(connection.getMetaData().getDatabaseProductName()).isEqualTo("H2");
			}
			assertThat(output).contains("db-budget: pool 'local' is outside the budget: db-budget cannot ask its database")
				.doesNotContain("budget off")
				.contains("pool 'orders': requested " + REQUESTED + " -> " + ROLE_LIMIT);
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class H2PrimaryConfiguration {

		// Declared first, so that it is created and registered before the PostgreSQL pool
		@Bean
		@Primary
		HikariDataSource local() {
			HikariDataSource pool = new HikariDataSource();
			pool.setJdbcUrl("jdbc:h2:mem:mixed-database-pools;DB_CLOSE_DELAY=-1");
			pool.setUsername("sa");
			pool.setMaximumPoolSize(REQUESTED);
			return pool;
		}

		@Bean
		HikariDataSource orders() {
			HikariDataSource pool = new HikariDataSource();
			pool.setJdbcUrl(database.jdbcUrl());
			pool.setUsername(database.username());
			pool.setPassword(database.password());
			pool.setMaximumPoolSize(REQUESTED);
			return pool;
		}

	}

}
