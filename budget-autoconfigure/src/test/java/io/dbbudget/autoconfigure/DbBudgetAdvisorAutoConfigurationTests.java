package io.dbbudget.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.dbbudget.advisor.Advice;
import io.dbbudget.advisor.ServerSettings;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Tests for {@link DbBudgetAdvisorAutoConfiguration} on private PostgreSQL servers: one with
 * every setting the advisor checks safe, and one per risky setting, each on top of the safe
 * ones. The application connects as a role that is neither a superuser nor a monitor.
 */
@ExtendWith(OutputCaptureExtension.class)
class DbBudgetAdvisorAutoConfigurationTests {

	private static final String ROLE = "orders";

	private static final String WARNING = "the connection budget at risk";

	private static PrivateServer safeServer;

	@BeforeAll
	static void startSafeServer() throws SQLException {
		safeServer = start(Map.of());
	}

	@AfterAll
	static void stopSafeServer() {
		safeServer.close();
	}

	// Connections are logged so that the tests can count those the starter opens
	private static PrivateServer start(Map<String, String> risky) throws SQLException {
		Map<String, String> settings = new LinkedHashMap<>();
		settings.put("idle_in_transaction_session_timeout", "5min");
		settings.put("idle_session_timeout", "0");
		settings.put("statement_timeout", "30s");
		settings.put("tcp_keepalives_idle", "60");
		settings.put("tcp_keepalives_interval", "10");
		settings.put("tcp_keepalives_count", "6");
		settings.put("log_connections", "on");
		settings.putAll(risky);
		return startWith(settings);
	}

	private static PrivateServer startWith(Map<String, String> settings) throws SQLException {
		PrivateServer.Builder builder = PrivateServer.builder();
		settings.forEach(builder::setting);
		PrivateServer server = builder.start();
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'secret'");
			statement.execute("CREATE DATABASE shop OWNER " + ROLE);
		}
		return server;
	}

	private static ApplicationContextRunner runner(PrivateServer server) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class,
					DbBudgetServerActivityAutoConfiguration.class, DbBudgetAdvisorAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + server.jdbcUrl("shop"),
					"spring.datasource.username=" + ROLE, "spring.datasource.password=secret",
					"spring.application.name=orders");
	}

	private static List<String> checks(PoolAdvisor advisor) {
		return advisor.startupAdvice().stream().map(Advice::check).toList();
	}

	@Test
	void safeSettingsGiveNoAdviceAndNoWarning(CapturedOutput output) {
		runner(safeServer).run((context) -> {
			assertThat(context.getBean(PoolAdvisor.class).startupAdvice()).isEmpty();
			assertThat(output).contains("db-budget plan (mode enforce)").doesNotContain("advice:").doesNotContain(WARNING);
		});
	}

	// idle_session_timeout has a test of its own, below
	@ParameterizedTest(name = "{0} = {1}")
	@CsvSource(delimiter = '|', textBlock = """
			idle_in_transaction_session_timeout | 0    | idle_in_transaction_session_timeout
			tcp_keepalives_idle                 | 7200 | tcp_keepalives
			statement_timeout                   | 0    | statement_timeout
			""")
	void eachRiskySettingOfTheServerIsAdvisedOnAlone(String setting, String value, String check,
			CapturedOutput output) throws SQLException {
		try (PrivateServer server = start(Map.of(setting, value))) {
			runner(server).run((context) -> {
				List<Advice> advice = context.getBean(PoolAdvisor.class).startupAdvice();
				assertThat(advice).extracting(Advice::check).containsExactly(check);
				// A server in its defaults lacks these too: one line of the plan, no warning
				assertThat(advice).extracting(Advice::level).containsExactly(Advice.Level.HARDENING);
				assertThat(output).contains("  hardening the server could use: " + check + " (")
					.doesNotContain("  advice: ")
					.doesNotContain(WARNING);
			});
		}
	}

	@Test
	void postgreSqlInItsDefaultsGivesNoWarning(CapturedOutput output) throws SQLException {
		try (PrivateServer server = startWith(Map.of())) {
			runner(server).run((context) -> {
				assertThat(checks(context.getBean(PoolAdvisor.class))).containsExactlyInAnyOrder(
						"idle_in_transaction_session_timeout", "tcp_keepalives", "statement_timeout");
				assertThat(output).containsOnlyOnce("  hardening the server could use: ")
					.doesNotContain("  advice: ")
					.doesNotContain(WARNING)
					.doesNotContain("WARN");
			});
		}
	}

	@Test
	void idleSessionTimeoutShorterThanHikarisDefaultsNamesTheSettingAndTheHikariProperty(CapturedOutput output)
			throws SQLException, IOException {
		try (PrivateServer server = start(Map.of("idle_session_timeout", "5s"))) {
			runner(server).run((context) -> {
				ServerSettings settings = context.getBean(BudgetedPools.class).getServerSettings();
				assertThat(settings).isEqualTo(new ServerSettings(Duration.ofMinutes(5),
						Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(10), 6));
				assertThat(checks(context.getBean(PoolAdvisor.class))).containsExactly("idle_session_timeout");
				assertThat(output.getOut().lines().filter((line) -> line.contains(WARNING))).hasSize(1);
				assertThat(output).contains("advice: idle_session_timeout = 5 s for the pools' role and database")
					.contains("spring.datasource.hikari.keepalive-time")
					.contains("WARN")
					.contains("1 setting puts the connection budget at risk (idle_session_timeout)");
			});
			// The settings come with the limits: the pool has not started, so one connection in all
			assertThat(Files.readString(server.directory().resolve("server.log")))
				.containsOnlyOnce("connection authorized: user=" + ROLE);
		}
	}

	@Test
	void poolSettingsAreAdvisedOnToo() {
		runner(safeServer).withPropertyValues("spring.datasource.hikari.max-lifetime=0").run((context) -> {
			assertThat(checks(context.getBean(PoolAdvisor.class))).containsExactly("max-lifetime");
		});
	}

	@Test
	void ignoredChecksAreSilenced(CapturedOutput output) {
		runner(safeServer)
			.withPropertyValues("spring.datasource.hikari.max-lifetime=0", "db.budget.advisor.ignore=max-lifetime")
			.run((context) -> {
				assertThat(context.getBean(PoolAdvisor.class).startupAdvice()).isEmpty();
				assertThat(output).doesNotContain(WARNING);
			});
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
			db.budget.advisor.ignore=statement_timeout,statement-timeout | there is no check named 'statement-timeout' | Name checks among idle_in_transaction_session_timeout, idle_session_timeout, tcp_keepalives
			db.budget.advisor.idle-in-transaction-age=-1s                | Property: db.budget.advisor.idle-in-transaction-age | to 0 or more
			""")
	void badAdvisorSettingsStopStartUpWithAFailureAnalysisAndNoStackTrace(String property, String description,
			String action, CapturedOutput output) {
		SpringApplication application = new SpringApplication(Application.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setDefaultProperties(Map.of("spring.datasource.url", safeServer.jdbcUrl("shop"),
				"spring.datasource.username", ROLE, "spring.datasource.password", "secret"));
		assertThatException().isThrownBy(() -> application.run("--" + property));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains(description)
			.contains(action)
			.doesNotContain("\tat ");
	}

	@Test
	void advisorCanBeSwitchedOff(CapturedOutput output) {
		runner(safeServer)
			.withPropertyValues("spring.datasource.hikari.max-lifetime=0", "db.budget.advisor.enabled=false")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(PoolAdvisor.class);
				assertThat(output).contains("db-budget plan").doesNotContain("advice:").doesNotContain(WARNING);
			});
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class,
			DbBudgetServerActivityAutoConfiguration.class, DbBudgetAdvisorAutoConfiguration.class })
	static class Application {

	}

}
