package io.dbbudget.autoconfigure;

import io.dbbudget.health.DbBudgetHealthIndicator;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DbBudgetHealthContributorAutoConfiguration}.
 */
class DbBudgetHealthContributorAutoConfigurationTests {

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class,
				DbBudgetServerActivityAutoConfiguration.class, DbBudgetHealthContributorAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(),
				"spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "db.budget.max-connections=20");

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("health-autoconfig");
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void runShouldCreateIndicator() {
		this.runner.run((context) -> assertThat(context).hasSingleBean(DbBudgetHealthIndicator.class)
			.hasBean("dbBudgetHealthIndicator"));
	}

	@Test
	void runWhenDisabledShouldNotCreateIndicator() {
		this.runner.withPropertyValues("management.health.dbbudget.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DbBudgetHealthIndicator.class));
	}

	@Test
	void runWhenHealthDefaultsAreDisabledShouldNotCreateIndicator() {
		this.runner.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DbBudgetHealthIndicator.class));
	}

	@Test
	void runWhenUserDefinesIndicatorShouldBackOff() {
		this.runner.withUserConfiguration(CustomIndicatorConfiguration.class)
			.run((context) -> assertThat(context).doesNotHaveBean(DbBudgetHealthIndicator.class)
				.hasBean("dbBudgetHealthIndicator"));
	}

	@Test
	void runWithoutHealthShouldBackOff() {
		this.runner.withClassLoader(new FilteredClassLoader(ConditionalOnEnabledHealthIndicator.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(DbBudgetHealthIndicator.class));
	}

	@Test
	void indicatorIsUnknownWithoutAPoolUnderTheBudget() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class,
					DbBudgetServerActivityAutoConfiguration.class, DbBudgetHealthContributorAutoConfiguration.class))
			.run((context) -> {
				Health health = context.getBean(DbBudgetHealthIndicator.class).health();
				assertThat(health.getStatus()).isEqualTo(Status.UNKNOWN);
				assertThat(health.getDetails()).containsEntry("reason", "no pool is under the budget");
			});
	}

	@Test
	void warnUtilizationAboveCriticalStopsStartUpWithAFailureAnalysis() {
		this.runner
			.withPropertyValues("db.budget.health.warn-utilization=0.9", "db.budget.health.critical-utilization=0.8")
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new InvalidBudgetFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("Property: db.budget.health.warn-utilization")
					.contains("Value:    \"0.9\"");
				assertThat(analysis.getAction()).contains("0.8 or less");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class CustomIndicatorConfiguration {

		@Bean
		HealthIndicator dbBudgetHealthIndicator() {
			return () -> Health.up().build();
		}

	}

}
