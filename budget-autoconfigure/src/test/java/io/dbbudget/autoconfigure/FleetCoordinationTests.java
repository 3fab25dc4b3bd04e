package io.dbbudget.autoconfigure;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.fleet.FleetCoordinator.FleetState;
import io.dbbudget.fleet.PostgreSqlFleetMembership;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.test.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for fleet coordination with equal shares: several application contexts in one group
 * on a real PostgreSQL server, whose role {@code CONNECTION LIMIT} is the service's budget.
 * Every pool follows the live count of members, and the sum of the pools' maxima is sampled
 * often and never exceeds the budget.
 */
@ExtendWith(OutputCaptureExtension.class)
class FleetCoordinationTests {

	private static final int BUDGET = 26;

	private static final Duration HEARTBEAT = Duration.ofMillis(500);

	// A change is seen at each member's next turn; a member grows into a share once its owner
	// has visibly given it up (a joiner at its second turn, a leaver's share after two turns)
	private static final Duration CONVERGENCE = HEARTBEAT.multipliedBy(5).plusSeconds(1);

	private static TestDatabase database;

	private final List<ConfigurableApplicationContext> members = new CopyOnWriteArrayList<>();

	private final ConcurrentLinkedQueue<Integer> sums = new ConcurrentLinkedQueue<>();

	private ScheduledExecutorService sampler;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("fleet");
		database.setRoleConnectionLimit(BUDGET);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@BeforeEach
	void sampleTheSumOfPoolMaxima() {
		this.sampler = Executors.newSingleThreadScheduledExecutor();
		this.sampler.scheduleAtFixedRate(() -> this.sums.add(this.members.stream()
			.flatMap((member) -> member.getBean(BudgetedPools.class).getPools().stream())
			.mapToInt((pool) -> pool.dataSource().getMaximumPoolSize())
			.sum()), 0, 20, TimeUnit.MILLISECONDS);
	}

	@AfterEach
	void stop() {
		this.sampler.shutdownNow();
		this.members.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void poolsFollowTheFleetFromTwoToFourMembersAndBack() {
		start(2);
		// (26 - 3 kept for a joiner) / 2 = 11 per instance, 1 of them for coordination
		awaitPoolsOf(10);
		start(2);
		awaitPoolsOf(4);
		assertThat(this.members.get(0).getBean(BudgetedPools.class).getFleet()).satisfies((fleet) -> {
			assertThat(fleet.group()).isEqualTo("fleet-orders");
			assertThat(fleet.members()).hasSize(4);
			assertThat(fleet.connected()).isTrue();
			assertThat(fleet.history()).extracting((change) -> change.members()).contains(2, 4);
		});
		this.members.remove(3).close();
		// 23 / 3 = 7 per instance
		awaitPoolsOf(6);
		assertThat(this.sums).isNotEmpty().allMatch((sum) -> sum <= BUDGET);
		for (ConfigurableApplicationContext member : this.members) {
			assertThat(new JdbcTemplate(member.getBean(javax.sql.DataSource.class))
				.queryForObject("SELECT 1", Integer.class)).isEqualTo(1);
		}
	}

	@Test
	void memberWhoseCoordinationSessionIsTerminatedJoinsAgainAtOnceAndKeepsItsPools(CapturedOutput output)
			throws SQLException {
		start(3);
		awaitPoolsOf(6);
		ConfigurableApplicationContext member = this.members.get(2);
		HikariDataSource pool = member.getBean(BudgetedPools.class).getPools().get(0).dataSource();
		ConcurrentLinkedQueue<Integer> sizes = new ConcurrentLinkedQueue<>();
		this.sampler.scheduleAtFixedRate(() -> sizes.add(pool.getMaximumPoolSize()), 0, 5, TimeUnit.MILLISECONDS);
		int terminated = terminateCoordinationSessionOf(member);
		assertThat(terminated).isEqualTo(1);
		await().atMost(CONVERGENCE)
			.untilAsserted(() -> assertThat(output.getOut()).contains("joined again at once, pools kept as they are"));
		await().atMost(CONVERGENCE).untilAsserted(() -> {
			FleetState fleet = member.getBean(BudgetedPools.class).getFleet();
			assertThat(fleet.connected()).isTrue();
			assertThat(fleet.members()).hasSize(3);
		});
		awaitPoolsOf(6);
		// Neither held at min-pool-size nor shrunk and grown again
		assertThat(sizes).isNotEmpty().containsOnly(6);
		assertThat(output.getOut()).doesNotContain("lost fleet coordination");
		assertThat(this.sums).isNotEmpty().allMatch((sum) -> sum <= BUDGET);
	}

	@Test
	void shrinkClosesOnlyWhatIsAboveTheNewSizeAndOpensNothing() throws SQLException {
		this.members.add(member("first"));
		awaitPoolsOf(20);
		// Boot's pool starts on its first connection, then fills to its minimum idle
		this.members.get(0).getBean(javax.sql.DataSource.class).getConnection().close();
		await().atMost(Duration.ofSeconds(15)).until(() -> sessionsOf("first").size() == 21);
		List<Integer> before = sessionsOf("first");
		this.members.add(member("second"));
		awaitPoolsOf(10);
		// 10 for the pool, 1 for coordination: exactly the 10 above the new size closed
		await().atMost(CONVERGENCE).untilAsserted(() -> assertThat(sessionsOf("first")).hasSize(11));
		assertThat(before).containsAll(sessionsOf("first"));
		assertThat(this.sums).isNotEmpty().allMatch((sum) -> sum <= BUDGET);
	}

	private ConfigurableApplicationContext member(String name) {
		return new SpringApplicationBuilder(Member.class).web(WebApplicationType.NONE)
			.properties("spring.datasource.url=" + database.jdbcUrl(),
					"spring.datasource.username=" + database.username(),
					"spring.datasource.password=" + database.password(),
					"spring.datasource.hikari.maximum-pool-size=20", "spring.application.name=" + name,
					"db.budget.coordination.enabled=true", "db.budget.coordination.group=fleet-orders",
					"db.budget.coordination.demand-aware=false",
					"db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms")
			.run();
	}

	private static List<Integer> sessionsOf(String application) throws SQLException {
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin.prepareStatement(
						"SELECT pid FROM pg_stat_activity WHERE usename = ? AND (application_name = ? "
								+ "OR application_name LIKE 'db-budget fleet%' AND pid IN (SELECT pid FROM pg_locks "
								+ "WHERE locktype = 'advisory' AND objsubid = 2 AND objid::bigint = 0))")) {
			statement.setString(1, database.username());
			statement.setString(2, application);
			List<Integer> pids = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					pids.add(result.getInt(1));
				}
			}
			return pids;
		}
	}

	private void start(int count) {
		for (int i = 0; i < count; i++) {
			this.members.add(new SpringApplicationBuilder(Member.class).web(WebApplicationType.NONE)
				.properties("spring.datasource.url=" + database.jdbcUrl(),
						"spring.datasource.username=" + database.username(),
						"spring.datasource.password=" + database.password(),
						"spring.datasource.hikari.maximum-pool-size=20", "spring.application.name=fleet-orders",
						"db.budget.coordination.enabled=true", "db.budget.coordination.demand-aware=false",
						"db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms")
				.run());
		}
	}

	private void awaitPoolsOf(int size) {
		awaitPoolsOf(size, CONVERGENCE);
	}

	private void awaitPoolsOf(int size, Duration within) {
		await().atMost(within).untilAsserted(() -> assertThat(this.members)
			.allSatisfy((member) -> assertThat(member.getBean(BudgetedPools.class).getPools())
				.allSatisfy((pool) -> assertThat(pool.dataSource().getMaximumPoolSize()).isEqualTo(size))));
	}

	private static int terminateCoordinationSessionOf(ConfigurableApplicationContext member) throws SQLException {
		return terminateCoordinationSession(database, "fleet-orders", member);
	}

	/**
	 * Ends a member's coordination session on the server, as an operator or a crash would.
	 * @return how many sessions were ended
	 */
	static int terminateCoordinationSession(TestDatabase database, String group, ConfigurableApplicationContext member)
			throws SQLException {
		Integer slot = member.getBean(BudgetedPools.class).getFleet().slot();
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin.prepareStatement("SELECT count(pg_terminate_backend(pid)) "
						+ "FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid::bigint = ? AND objid::bigint = ?")) {
			statement.setLong(1, PostgreSqlFleetMembership.groupKey(group));
			statement.setLong(2, slot);
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getInt(1);
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class })
	static class Member {

	}

}
