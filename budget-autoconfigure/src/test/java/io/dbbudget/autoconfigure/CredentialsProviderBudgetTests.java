package io.dbbudget.autoconfigure;

import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.Credentials;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for pools that log in through Hikari's {@code credentialsProvider} alone, with neither
 * username nor password set, on a real PostgreSQL server whose role {@code CONNECTION LIMIT} is
 * the service's budget: db-budget's own connections (the probe of the server's limits, fleet
 * coordination) log in as the pools do.
 */
class CredentialsProviderBudgetTests {

	private static final int BUDGET = 26;

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
		.withUserConfiguration(ProvidedCredentialsPool.class)
		.withPropertyValues("spring.application.name=provided-orders", "db.budget.coordination.enabled=true",
				"db.budget.coordination.demand-aware=false", "db.budget.coordination.heartbeat=500ms");

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("credentials_provider");
		database.setRoleConnectionLimit(BUDGET);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void poolsThatLogInThroughACredentialsProviderGetTheirBudgetAndJoinTheFleet() {
		this.runner.run((first) -> this.runner.run((second) -> {
			for (BudgetedPools pools : new BudgetedPools[] { first.getBean(BudgetedPools.class),
					second.getBean(BudgetedPools.class) }) {
				Budget budget = pools.getBudget();
				assertThat(budget).isNotNull();
				assertThat(budget.server().source()).isEqualTo(ServerLimits.Source.SERVER);
				assertThat(budget.server().roleConnectionLimit()).isEqualTo(BUDGET);
				// (26 - 3 kept for a joiner) / 2 = 11 per instance, 1 of them for coordination
				await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
					assertThat(pools.getFleet().members()).hasSize(2);
					assertThat(pools.getPools().get(0).dataSource().getMaximumPoolSize()).isEqualTo(10);
				});
			}
			assertThat(new JdbcTemplate(first.getBean(DataSource.class)).queryForObject("SELECT current_user",
					String.class))
				.isEqualTo(database.username());
		}));
	}

	@Configuration(proxyBeanMethods = false)
	static class ProvidedCredentialsPool {

		@Bean
		HikariDataSource dataSource() {
			HikariDataSource dataSource = new HikariDataSource();
			dataSource.setJdbcUrl(database.jdbcUrl());
			dataSource.setCredentialsProvider(() -> Credentials.of(database.username(), database.password()));
			dataSource.setMaximumPoolSize(20);
			return dataSource;
		}

	}

}
