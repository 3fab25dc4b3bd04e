package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.Budget;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.ServerPools;
import io.dbbudget.test.PrivateServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for pools on two servers, declared the way Spring Boot's reference shows a second
 * DataSource: a primary on a private server with {@code max_connections = 40} and a read
 * replica on another with {@code max_connections = 20}. Each pool is budgeted from its own
 * server.
 */
@ExtendWith(OutputCaptureExtension.class)
class SeveralServersBudgetTests {

	private static final String ROLE = "orders_app";

	private static PrivateServer primary;

	private static PrivateServer replica;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DbBudgetAutoConfiguration.class))
		.withUserConfiguration(PrimaryAndReplicaConfiguration.class)
		.withPropertyValues("app.datasource.primary.url=" + primary.jdbcUrl("orders"),
				"app.datasource.replica.url=" + replica.jdbcUrl("orders"), "spring.application.name=orders",
				"db.budget.instances=4", "db.budget.reserved-connections=5");

	@BeforeAll
	static void startServers() throws SQLException {
		primary = PrivateServer.builder().maxConnections(40).superuserReservedConnections(3).start();
		replica = PrivateServer.builder().maxConnections(20).superuserReservedConnections(3).start();
		for (PrivateServer server : List.of(primary, replica)) {
			try (Connection connection = server.openConnection("postgres");
					Statement statement = connection.createStatement()) {
				statement.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'secret'");
				statement.execute("CREATE DATABASE orders OWNER " + ROLE);
			}
		}
	}

	@AfterAll
	static void stopServers() {
		primary.close();
		replica.close();
	}

	@Test
	void eachPoolIsSizedFromItsOwnServer(CapturedOutput output) {
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed();
			// (40 - 3 - 5) / 4 and (20 - 3 - 5) / 4
			assertThat(maximumPoolSize(context.getBean("primaryDataSource", DataSource.class))).isEqualTo(8);
			assertThat(maximumPoolSize(context.getBean("replicaDataSource", DataSource.class))).isEqualTo(3);
			List<ServerPools> servers = context.getBean(BudgetedPools.class).getServers();
			assertThat(servers).hasSize(2);
			assertThat(servers).extracting((server) -> server.getBudget().server().maxConnections())
				.containsExactly(40, 20);
			assertThat(output).contains("db-budget plan (mode enforce): 2 servers, each its own budget")
				.contains("server 127.0.0.1:" + primary.port() + "\n")
				.contains("server 127.0.0.1:" + replica.port() + "\n")
				.contains("pool 'replicaDataSource': requested 20 -> 3 (budget 3, lowered to budget)");
		});
	}

	@Test
	void sessionsStayWithinEachServersBudgetUnderLoad() {
		this.runner.run((context) -> {
			DataSource primaryDataSource = context.getBean("primaryDataSource", DataSource.class);
			DataSource replicaDataSource = context.getBean("replicaDataSource", DataSource.class);
			ExecutorService workers = Executors.newFixedThreadPool(30);
			try {
				List<Future<?>> work = new ArrayList<>();
				for (int i = 0; i < 300; i++) {
					DataSource target = (i % 2 == 0) ? primaryDataSource : replicaDataSource;
					work.add(workers.submit(
							() -> new JdbcTemplate(target).queryForObject("SELECT count(*) FROM pg_sleep(0.01)",
									Integer.class)));
				}
				for (Future<?> done : work) {
					done.get();
				}
			}
			finally {
				workers.shutdown();
			}
			assertThat(sessions(primary)).isLessThanOrEqualTo(8);
			assertThat(sessions(replica)).isLessThanOrEqualTo(3);
		});
	}

	@Test
	void aServerDownAtStartUpWaitsAtMinPoolSizeWhileTheOtherIsBudgeted(CapturedOutput output) {
		replica.stop();
		try {
			this.runner.run((context) -> {
				assertThat(context).hasNotFailed();
				DataSource replicaDataSource = context.getBean("replicaDataSource", DataSource.class);
				assertThat(maximumPoolSize(context.getBean("primaryDataSource", DataSource.class))).isEqualTo(8);
				assertThat(maximumPoolSize(replicaDataSource)).isEqualTo(1);
				assertThat(output).contains("server 127.0.0.1:" + replica.port()
						+ ": waiting for the server's limits, pools held at min-pool-size 1");
				replica.start();
				ServerPools replicaServer = context.getBean(BudgetedPools.class).getServers().get(1);
				await().atMost(Duration.ofSeconds(40)).until(() -> replicaServer.getBudget() != null);
				assertThat(maximumPoolSize(replicaDataSource)).isEqualTo(3);
				assertThat(new JdbcTemplate(replicaDataSource).queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
			});
		}
		finally {
			if (!replica.isRunning()) {
				replica.start();
			}
		}
	}

	@Test
	void aServerOfItsOwnSettingsReplacesOnlyWhatItSets() {
		this.runner.withPropertyValues("db.budget.servers.replicaDataSource.reserved-connections=1").run((context) -> {
			// (20 - 3 - 1) / 4: the primary keeps the service-wide 5
			assertThat(maximumPoolSize(context.getBean("replicaDataSource", DataSource.class))).isEqualTo(4);
			assertThat(maximumPoolSize(context.getBean("primaryDataSource", DataSource.class))).isEqualTo(8);
			Budget replicaBudget = context.getBean(BudgetedPools.class).getServers().get(1).getBudget();
			assertThat(replicaBudget.reservedConnections()).isEqualTo(1);
		});
	}

	@Test
	void aServerOfItsOwnThatCannotBeMetNamesItsOwnProperty() {
		this.runner.withPropertyValues("db.budget.servers.replicaDataSource.reserved-connections=17").run((context) -> {
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.servers.replicaDataSource.reserved-connections = 17")
				.satisfies((ex) -> assertThat(((InvalidBudgetException) ex).getAction())
					.isEqualTo("Set db.budget.servers.replicaDataSource.reserved-connections below 17, or raise the "
							+ "server's limit."));
		});
	}

	@Test
	void serverSettingsForAnUnknownDataSourceAreRefused() {
		this.runner.withPropertyValues("db.budget.servers.replica.reserved-connections=1").run((context) -> {
			assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(InvalidBudgetException.class)
				.hasMessageContaining("db.budget.servers.replica")
				.hasMessageContaining("there is no DataSource bean named 'replica'");
		});
	}

	@Test
	void fleetCoordinationCountsTheFleetOnEachServer() {
		ApplicationContextRunner coordinated = this.runner.withPropertyValues("db.budget.coordination.enabled=true",
				"db.budget.coordination.heartbeat=500ms");
		coordinated.run((first) -> coordinated.run((second) -> {
			for (var context : List.of(first, second)) {
				List<ServerPools> servers = context.getBean(BudgetedPools.class).getServers();
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(servers).allSatisfy(
							(server) -> assertThat(server.getFleet().members()).hasSize(2)));
			}
			// Each server's service budget holds whatever the two instances' pools do
			assertThat(sessions(primary)).isLessThanOrEqualTo(32);
			assertThat(sessions(replica)).isLessThanOrEqualTo(12);
			for (var context : List.of(first, second)) {
				for (String pool : List.of("primaryDataSource", "replicaDataSource")) {
					assertThat(new JdbcTemplate(context.getBean(pool, DataSource.class))
						.queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
				}
			}
		}));
	}

	@Test
	void aUrlWithSeveralHostsIsBudgetedOnTheSmallestLimitAmongThem() {
		String hosts = "127.0.0.1:" + primary.port() + ",127.0.0.1:" + replica.port();
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=jdbc:postgresql://" + hosts + "/orders?targetServerType=primary",
					"spring.datasource.username=" + ROLE, "spring.datasource.password=secret",
					"spring.datasource.hikari.maximum-pool-size=20", "db.budget.instances=4",
					"db.budget.reserved-connections=5")
			.run((context) -> {
				Budget budget = context.getBean(BudgetedPools.class).getBudget();
				assertThat(budget.server().maxConnections()).isEqualTo(20);
				DataSource dataSource = context.getBean(DataSource.class);
				assertThat(maximumPoolSize(dataSource)).isEqualTo(3);
				assertThat(new JdbcTemplate(dataSource).queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
			});
	}

	private static int maximumPoolSize(DataSource dataSource) throws SQLException {
		return dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize();
	}

	private static int sessions(PrivateServer server) throws SQLException {
		try (Connection connection = server.openConnection("postgres");
				Statement statement = connection.createStatement()) {
			var result = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + ROLE + "'");
			result.next();
			return result.getInt(1);
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties
	static class PrimaryAndReplicaConfiguration {

		@Bean
		@Primary
		@ConfigurationProperties("app.datasource.primary")
		DataSourceProperties primaryDataSourceProperties() {
			return credentials(new DataSourceProperties());
		}

		@Bean
		@Primary
		@ConfigurationProperties("app.datasource.primary.configuration")
		HikariDataSource primaryDataSource(DataSourceProperties primaryDataSourceProperties) {
			return pool(primaryDataSourceProperties);
		}

		@Bean
		@ConfigurationProperties("app.datasource.replica")
		DataSourceProperties replicaDataSourceProperties() {
			return credentials(new DataSourceProperties());
		}

		@Bean
		@ConfigurationProperties("app.datasource.replica.configuration")
		HikariDataSource replicaDataSource(
				@Qualifier("replicaDataSourceProperties") DataSourceProperties replicaDataSourceProperties) {
			return pool(replicaDataSourceProperties);
		}

		private static DataSourceProperties credentials(DataSourceProperties properties) {
			properties.setUsername(ROLE);
			properties.setPassword("secret");
			return properties;
		}

		private static HikariDataSource pool(DataSourceProperties properties) {
			HikariDataSource dataSource = properties.initializeDataSourceBuilder().type(HikariDataSource.class).build();
			dataSource.setMaximumPoolSize(20);
			return dataSource;
		}

	}

}
