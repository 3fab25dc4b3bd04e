package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.PoolOverBudgetException;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.budget.ServerLimits;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.gate.AdmissionGates;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.retry.RetryingDataSource;
import io.dbbudget.test.TestDatabase;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DbBudgetAutoConfiguration} against a real PostgreSQL server, on a database
 * and role of its own whose {@code CONNECTION LIMIT} makes the budget small.
 */
@ExtendWith(OutputCaptureExtension.class)
class DbBudgetAutoConfigurationTests {

	private static final int ROLE_LIMIT = 12;

	private static TestDatabase database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + database.jdbcUrl(),
				"spring.datasource.username=" + database.username(),
				"spring.datasource.password=" + database.password(), "spring.application.name=orders");

	@BeforeAll
	static void createDatabase() throws SQLException {
		database = TestDatabase.create("autoconfig");
		database.setRoleConnectionLimit(ROLE_LIMIT);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@Test
	void poolIsLoweredToItsShareOfTheLimitReadFromTheServer() {
		this.runner.withPropertyValues("spring.datasource.hikari.maximum-pool-size=20", "db.budget.instances=3")
			.run((context) -> {
				HikariDataSource pool = context.getBean(DataSource.class).unwrap(HikariDataSource.class);
				assertThat(pool.getMaximumPoolSize()).isEqualTo(4);
				assertThat(pool.getMinimumIdle()).isEqualTo(4);
				Budget budget = context.getBean(BudgetedPools.class).getBudget();
				assertThat(budget.server().source()).isEqualTo(ServerLimits.Source.SERVER);
				assertThat(budget.server().roleConnectionLimit()).isEqualTo(ROLE_LIMIT);
				assertThat(budget.server().maxConnections()).isGreaterThan(ROLE_LIMIT);
				assertThat(budget.perInstance()).isEqualTo(4);
			});
	}

	@Test
	void sessionsAreNamedAfterTheApplication() {
		this.runner.run((context) -> {
			JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			assertThat(jdbc.queryForObject("SELECT current_setting('application_name')", String.class))
				.isEqualTo("orders");
		});
	}

	@Test
	void applicationNameInTheUrlIsKept() {
		this.runner.withPropertyValues("spring.datasource.url=" + database.jdbcUrl() + "?ApplicationName=billing")
			.run((context) -> {
				JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
				assertThat(jdbc.queryForObject("SELECT current_setting('application_name')", String.class))
					.isEqualTo("billing");
			});
	}

	@Test
	void poolAskingForLessThanItsShareKeepsItsSize() {
		this.runner.withPropertyValues("spring.datasource.hikari.maximum-pool-size=3").run((context) -> {
			HikariDataSource pool = context.getBean(DataSource.class).unwrap(HikariDataSource.class);
			assertThat(pool.getMaximumPoolSize()).isEqualTo(3);
			PoolPlan plan = context.getBean(BudgetedPools.class).getPool("dataSource").plan();
			assertThat(plan.budget()).isEqualTo(ROLE_LIMIT);
			assertThat(plan.fit()).isEqualTo(PoolPlan.Fit.WITHIN_BUDGET);
		});
	}

	@Test
	void minimumIdleNeverExceedsTheLoweredMaximum() {
		this.runner
			.withPropertyValues("spring.datasource.hikari.maximum-pool-size=20",
					"spring.datasource.hikari.minimum-idle=10", "db.budget.instances=2")
			.run((context) -> {
				HikariDataSource pool = context.getBean(DataSource.class).unwrap(HikariDataSource.class);
				assertThat(pool.getMaximumPoolSize()).isEqualTo(6);
				assertThat(pool.getMinimumIdle()).isEqualTo(6);
			});
	}

	@Test
	void warnModeKeepsTheRequestedSizeAndLogsIt(CapturedOutput output) {
		this.runner
			.withPropertyValues("spring.datasource.hikari.maximum-pool-size=20", "db.budget.instances=3",
					"db.budget.mode=warn")
			.run((context) -> {
				HikariDataSource pool = context.getBean(DataSource.class).unwrap(HikariDataSource.class);
				assertThat(pool.getMaximumPoolSize()).isEqualTo(20);
				assertThat(output).contains("pool 'dataSource' maximum-pool-size 20 is over its budget of 4");
			});
	}

	@Test
	void failModeRefusesToStartWithAFailureAnalysis() {
		this.runner
			.withPropertyValues("spring.datasource.hikari.maximum-pool-size=20", "db.budget.instances=3",
					"db.budget.mode=fail")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause().isInstanceOf(PoolOverBudgetException.class);
				FailureAnalysis analysis = new PoolOverBudgetFailureAnalyzer().analyze(context.getStartupFailure());
				assertThat(analysis.getDescription()).contains("Pool 'dataSource' asks for 20 connections")
					.contains("budget of 4")
					.contains("/ 3 instances = 4 per instance");
				assertThat(analysis.getAction()).contains("spring.datasource.hikari.maximum-pool-size")
					.contains("to 4 or less");
			});
	}

	@Test
	void configuredMaxConnectionsIsUsedWithoutAskingTheServer() {
		this.runner
			.withPropertyValues("spring.datasource.hikari.maximum-pool-size=20", "db.budget.max-connections=30",
					"db.budget.reserved-connections=6", "db.budget.instances=4")
			.run((context) -> {
				Budget budget = context.getBean(BudgetedPools.class).getBudget();
				assertThat(budget.server()).isEqualTo(ServerLimits.configured(30));
				assertThat(context.getBean(DataSource.class).unwrap(HikariDataSource.class).getMaximumPoolSize())
					.isEqualTo(6);
			});
	}

	@Test
	void invalidShareStopsStartUpNamingTheProperty() {
		this.runner.withPropertyValues("db.budget.share=1.5").run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new InvalidBudgetFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis.getDescription()).contains("Property: db.budget.share").contains("Value:    \"1.5\"");
			assertThat(analysis.getAction()).contains("db.budget.share");
		});
	}

	@Test
	void reservedConnectionsAtTheLimitStopStartUp() {
		this.runner.withPropertyValues("db.budget.reserved-connections=" + ROLE_LIMIT).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.reserved-connections = 12");
		});
	}

	@Test
	void invalidRetrySettingsStopStartUp() {
		this.runner.withPropertyValues("db.budget.retry.max-attempts=0").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.retry.max-attempts = 0");
		});
	}

	@Test
	void poolSettingsForAnUnknownDataSourceStopStartUp() {
		this.runner.withPropertyValues("db.budget.pools.reporting.weight=2").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.pools.reporting")
				.hasMessageContaining("the DataSource beans are [dataSource]");
		});
	}

	@Test
	void poolIsWrappedForRetryAndStillUnwrapsToHikari() {
		this.runner.run((context) -> {
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource).isInstanceOf(RetryingDataSource.class);
			assertThat(dataSource.isWrapperFor(HikariDataSource.class)).isTrue();
			try (Connection connection = dataSource.getConnection()) {
				assertThat(connection.isValid(1)).isTrue();
			}
		});
	}

	@Test
	void admissionGateIsOnByDefaultAndRegisteredForThePool() {
		this.runner.run((context) -> {
			RetryingDataSource dataSource = context.getBean(RetryingDataSource.class);
			AdmissionGate gate = context.getBean(AdmissionGates.class).get("dataSource");
			assertThat(gate).isNotNull();
			assertThat(gate.getPermits()).isEqualTo(dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize());
			// The pool's callers pass this gate
			try (Connection connection = dataSource.getConnection()) {
				assertThat(gate.getAvailable()).isEqualTo(gate.getPermits() - 1);
			}
		});
	}

	@Test
	void retryOffKeepsTheAdmissionGate() {
		this.runner.withPropertyValues("db.budget.retry.enabled=false").run((context) -> {
			RetryingDataSource dataSource = context.getBean(RetryingDataSource.class);
			assertThat(context.getBean(AdmissionGates.class).get("dataSource")).isNotNull();
			assertThat(dataSource.getLongestWait())
				.isEqualTo(Duration.ofMillis(dataSource.unwrap(HikariDataSource.class).getConnectionTimeout()));
			try (Connection connection = dataSource.getConnection()) {
				assertThat(connection.isValid(1)).isTrue();
			}
		});
	}

	@Test
	void admissionGateOffKeepsRetryWithoutAGate() {
		this.runner.withPropertyValues("db.budget.admission.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(AdmissionGates.class).hasSingleBean(RetryingDataSource.class);
		});
	}

	@Test
	void retryAndAdmissionGateOffLeaveThePoolUnwrapped() {
		this.runner
			.withPropertyValues("db.budget.retry.enabled=false", "db.budget.admission.enabled=false",
					"spring.datasource.hikari.maximum-pool-size=20")
			.run((context) -> {
				assertThat(context.getBean(DataSource.class)).isInstanceOf(HikariDataSource.class);
				assertThat(context.getBean(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(ROLE_LIMIT);
			});
	}

	@Test
	void disabledStarterLeavesThePoolAlone() {
		this.runner.withPropertyValues("db.budget.enabled=false", "spring.datasource.hikari.maximum-pool-size=20")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(BudgetedPools.class);
				assertThat(context.getBean(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(20);
			});
	}

	@Test
	void withoutHikariTheStarterBacksOff() {
		this.runner.withClassLoader(new FilteredClassLoader(HikariDataSource.class))
			.run((context) -> assertThat(context).doesNotHaveBean(BudgetedPools.class)
				.doesNotHaveBean(DbBudgetBeanPostProcessor.class));
	}

	@Test
	void withoutDataSourceNothingIsSized() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(BudgetedPools.class).getPools()).isEmpty();
			});
	}

	@Test
	void userDefinedPoolsSplitTheShareByWeight() {
		this.runner.withUserConfiguration(TwoPoolsConfiguration.class)
			.withPropertyValues("db.budget.pools.primary.weight=3", "db.budget.pools.reporting.weight=1")
			.run((context) -> {
				BudgetedPools pools = context.getBean(BudgetedPools.class);
				assertThat(pools.getPools()).extracting(BudgetedPools.BudgetedPool::name)
					.containsExactly("primary", "reporting");
				assertThat(pools.getPool("primary").dataSource().getMaximumPoolSize()).isEqualTo(9);
				assertThat(pools.getPool("reporting").dataSource().getMaximumPoolSize()).isEqualTo(3);
				for (String name : List.of("primary", "reporting")) {
					try (Connection connection = context.getBean(name, DataSource.class).getConnection()) {
						assertThat(connection.isValid(1)).isTrue();
					}
				}
			});
	}

	@Test
	void poolOnADatabaseThatCannotBeAskedWithoutMaxConnectionsIsLeftAlone(CapturedOutput output) {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class))
			.withUserConfiguration(H2PoolConfiguration.class)
			.run((context) -> {
				assertThat(context.getBean(HikariDataSource.class).getMaximumPoolSize()).isEqualTo(20);
				assertThat(output).contains("db-budget: pool 'dataSource' is outside the budget: db-budget cannot ask "
						+ "its database for its limits (it asks PostgreSQL, MySQL and MariaDB) and "
						+ "db.budget.max-connections is not set");
				assertThat(context.getBean(BudgetedPools.class).describe()).endsWith(
						"budget off, no pool's URL is PostgreSQL, MySQL or MariaDB and db.budget.max-connections is not set");
			});
	}

	@Test
	void poolOnADatabaseThatCannotBeAskedWithMaxConnectionsGetsTheArithmetic() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class))
			.withUserConfiguration(H2PoolConfiguration.class)
			.withPropertyValues("db.budget.max-connections=30", "db.budget.instances=5")
			.run((context) -> assertThat(context.getBean(DataSource.class).unwrap(HikariDataSource.class)
				.getMaximumPoolSize()).isEqualTo(6));
	}

	@Test
	void startUpLogsThePlanInOneBlock(CapturedOutput output) {
		this.runner.withPropertyValues("spring.datasource.hikari.maximum-pool-size=20", "db.budget.instances=3")
			.run((context) -> assertThat(output).contains("db-budget plan (mode enforce)")
				.contains("max-connections (from the server) - 3 server-reserved, role limit 12 = 12 usable")
				.contains("12 x share 1.0 = 12 for this service, / 3 instances = 4 per instance")
				.contains("pool 'dataSource': requested 20 -> 4 (budget 4, lowered to budget)")
				.contains("retry up to 5 attempts"));
	}

	@Test
	void poolStartedByItsConstructorIsSizedAtRunTime(CapturedOutput output) {
		this.runner.withUserConfiguration(StartedPoolConfiguration.class)
			.withPropertyValues("db.budget.instances=3")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource pool = context.getBean(DataSource.class).unwrap(HikariDataSource.class);
				assertThat(pool.getMaximumPoolSize()).isEqualTo(4);
				assertThat(pool.getMinimumIdle()).isEqualTo(4);
				Awaitility.await()
					.atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(database.sessionCount()).isLessThanOrEqualTo(4));
				JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
				assertThat(jdbc.queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
				assertThat(output).contains("pool 'dataSource' had started before db-budget saw it: resized at run "
						+ "time, its sessions not renamed");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class StartedPoolConfiguration {

		@Bean
		HikariDataSource dataSource() {
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(database.jdbcUrl());
			config.setUsername(database.username());
			config.setPassword(database.password());
			config.setMaximumPoolSize(10);
			// Starts the pool and seals its configuration
			return new HikariDataSource(config);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class TwoPoolsConfiguration {

		@Bean
		HikariDataSource primary() {
			return pool(database.jdbcUrl(), 20);
		}

		@Bean
		HikariDataSource reporting() {
			return pool(database.jdbcUrl(), 20);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class H2PoolConfiguration {

		@Bean
		HikariDataSource dataSource() {
			return pool("jdbc:h2:mem:budget-auto-configuration", 20);
		}

	}

	static HikariDataSource pool(String url, int maximumPoolSize) {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl(url);
		pool.setUsername(database.username());
		pool.setPassword(database.password());
		pool.setMaximumPoolSize(maximumPoolSize);
		return pool;
	}

}
