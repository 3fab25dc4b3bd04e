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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import javax.sql.DataSource;

import io.dbbudget.fleet.FleetCoordinator.FleetState;
import io.dbbudget.fleet.FleetCoordinator.Member;
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
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for demand-aware fleet shares: application contexts in one group on a real PostgreSQL
 * server whose role {@code CONNECTION LIMIT} is the service's budget, one of them under load.
 * The connections follow the load from member to member, and every 20 ms both the sum of the
 * pools' maxima and the fleet's sessions on the server are sampled: neither ever exceeds the
 * budget, through demand shifts, joins, leaves and a terminated coordination session.
 */
@ExtendWith(OutputCaptureExtension.class)
class DemandAwareFleetTests {

	private static final int BUDGET = 26;

	private static final Duration HEARTBEAT = Duration.ofMillis(300);

	private static final Duration CONVERGENCE = Duration.ofSeconds(8);

	private static final int BUSY_THREADS = 14;

	private static TestDatabase database;

	private final List<ConfigurableApplicationContext> members = new CopyOnWriteArrayList<>();

	private final ConcurrentLinkedQueue<Integer> maximaPlusCoordination = new ConcurrentLinkedQueue<>();

	private final ConcurrentLinkedQueue<Integer> sessions = new ConcurrentLinkedQueue<>();

	private final AtomicInteger failures = new AtomicInteger();

	private ScheduledExecutorService sampler;

	private ExecutorService load;

	@BeforeAll
	static void createDatabase() {
		database = TestDatabase.create("demand_aware_fleet");
		database.setRoleConnectionLimit(BUDGET);
	}

	@AfterAll
	static void dropDatabase() {
		database.close();
	}

	@BeforeEach
	void sample() {
		this.sampler = Executors.newScheduledThreadPool(2);
		// Every member's pools may hold their maxima, and it holds one connection for coordination
		this.sampler.scheduleAtFixedRate(() -> this.maximaPlusCoordination.add(this.members.stream()
			.mapToInt((member) -> 1 + member.getBean(BudgetedPools.class)
				.getPools()
				.stream()
				.mapToInt((pool) -> pool.dataSource().getMaximumPoolSize())
				.sum())
			.sum()), 0, 20, TimeUnit.MILLISECONDS);
		this.sampler.scheduleAtFixedRate(() -> this.sessions.add(roleSessions()), 0, 20, TimeUnit.MILLISECONDS);
		this.load = Executors.newCachedThreadPool();
	}

	@AfterEach
	void stop() throws InterruptedException {
		this.load.shutdownNow();
		this.load.awaitTermination(10, TimeUnit.SECONDS);
		this.sampler.shutdownNow();
		this.members.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void connectionsFollowTheLoadAndNeverExceedTheBudget(CapturedOutput output) throws Exception {
		start(3);
		AtomicBoolean firstBusy = busy(this.members.get(0));
		// (26 - 3 kept for a joiner - 3 coordination) = 20 for the pools: the idle members keep
		// their floor of 1 and a share of what nobody asks for, the busy one gets the rest
		awaitPool(0, (size) -> size >= BUSY_THREADS);
		awaitPool(1, (size) -> size <= 3);
		// The load moves from the first member to the second
		firstBusy.set(false);
		AtomicBoolean secondBusy = busy(this.members.get(1));
		awaitPool(1, (size) -> size >= BUSY_THREADS);
		awaitPool(0, (size) -> size <= 3);
		// A member joins, one leaves, and one loses its coordination session: the busy member
		// keeps the most
		start(1);
		this.members.remove(2).close();
		assertThat(FleetCoordinationTests.terminateCoordinationSession(database, "demand-orders", this.members.get(0)))
			.isEqualTo(1);
		await().atMost(CONVERGENCE).untilAsserted(() -> assertThat(this.members)
			.allSatisfy((member) -> assertThat(fleet(member).members()).hasSize(3)));
		awaitPool(1, (size) -> size >= BUSY_THREADS - 1);
		secondBusy.set(false);
		assertThat(this.failures).hasValue(0);
		assertThat(this.maximaPlusCoordination).isNotEmpty().allMatch((sum) -> sum <= BUDGET);
		assertThat(this.sessions).isNotEmpty().allMatch((count) -> count <= BUDGET);
		assertThat(output.getOut()).doesNotContain("too many connections");
		FleetState fleet = fleet(this.members.get(1));
		assertThat(fleet.members()).filteredOn(Member::self)
			.singleElement()
			.satisfies((self) -> assertThat(self.allocation()).isGreaterThanOrEqualTo(BUSY_THREADS - 1));
	}

	@Test
	void settledFleetNeitherMovesNorChurns() throws Exception {
		start(2);
		busy(this.members.get(0));
		awaitPool(0, (size) -> size >= BUSY_THREADS);
		Thread.sleep(HEARTBEAT.multipliedBy(4).toMillis());
		List<Integer> allocations = allocations();
		List<Integer> before = backendPids();
		Thread.sleep(HEARTBEAT.multipliedBy(10).toMillis());
		List<Integer> after = backendPids();
		// Settled: the allocations stay, no session closes, and the pools open at most what
		// their allocations leave room for, with no close and reopen
		assertThat(allocations()).isEqualTo(allocations);
		assertThat(after).containsAll(before);
		assertThat(after.size()).isLessThanOrEqualTo(allocations.stream().mapToInt(Integer::intValue).sum() + 2);
		assertThat(this.failures).hasValue(0);
	}

	@Test
	void forgedMessagesFromAnotherRoleLeaveTheFleetWithinItsBudget(CapturedOutput output) throws Exception {
		start(3);
		this.members.forEach(this::busy);
		// Any role may NOTIFY: one with nothing but CONNECT says, 200 times a second for 5 s, that
		// no member holds anything
		String forged = "S1/1 0:0:0:0;1:0:0:0;2:0:0:0";
		try (Connection stranger = database.openConnectionAsStranger();
				PreparedStatement notify = stranger.prepareStatement("SELECT pg_notify(?, ?)")) {
			notify.setString(1, "db_budget_fleet_" + PostgreSqlFleetMembership.groupKey("demand-orders"));
			notify.setString(2, forged);
			long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
			while (System.nanoTime() < end) {
				notify.execute();
				Thread.sleep(5);
			}
		}
		assertThat(this.failures).hasValue(0);
		assertThat(this.maximaPlusCoordination).isNotEmpty().allMatch((sum) -> sum <= BUDGET);
		assertThat(this.sessions).isNotEmpty().allMatch((count) -> count <= BUDGET);
		// Once by each member, although the 5 s are longer than a member remembers a sender
		assertThat(output.getOut().lines().filter((line) -> line.contains("ignoring messages on fleet channel")))
			.hasSize(3);
	}

	private List<Integer> allocations() {
		return this.members.stream()
			.map((member) -> member.getBean(BudgetedPools.class).getPool("dataSource").dataSource().getMaximumPoolSize())
			.toList();
	}

	private AtomicBoolean busy(ConfigurableApplicationContext member) {
		AtomicBoolean busy = new AtomicBoolean(true);
		JdbcTemplate jdbc = new JdbcTemplate(member.getBean(DataSource.class));
		for (int i = 0; i < BUSY_THREADS; i++) {
			this.load.execute(() -> {
				while (busy.get() && !Thread.currentThread().isInterrupted()) {
					try {
						jdbc.queryForObject("SELECT count(*) FROM pg_sleep(0.02)", Integer.class);
					}
					catch (RuntimeException ex) {
						if (!Thread.currentThread().isInterrupted() && member.isActive()) {
							this.failures.incrementAndGet();
						}
					}
				}
			});
		}
		return busy;
	}

	// One by one, as a rollout starts them: each joins once the fleet has counted the one before
	private void start(int count) {
		for (int i = 0; i < count; i++) {
			int size = this.members.size() + 1;
			this.members.add(new SpringApplicationBuilder(FleetCoordinationTests.Member.class)
				.web(WebApplicationType.NONE)
				.properties("spring.datasource.url=" + database.jdbcUrl(),
						"spring.datasource.username=" + database.username(),
						"spring.datasource.password=" + database.password(),
						"spring.datasource.hikari.maximum-pool-size=30", "spring.application.name=demand-orders",
						"db.budget.coordination.enabled=true",
						"db.budget.coordination.heartbeat=" + HEARTBEAT.toMillis() + "ms")
				.run());
			await().atMost(CONVERGENCE).untilAsserted(() -> assertThat(this.members)
				.allSatisfy((member) -> assertThat(fleet(member).members()).hasSize(size)));
		}
	}

	private void awaitPool(int member, IntPredicate size) {
		await().atMost(CONVERGENCE).untilAsserted(() -> assertThat(this.members.get(member)
			.getBean(BudgetedPools.class)
			.getPool("dataSource")
			.dataSource()
			.getMaximumPoolSize()).matches(size::test));
	}

	private static FleetState fleet(ConfigurableApplicationContext member) {
		return member.getBean(BudgetedPools.class).getFleet();
	}

	private static List<Integer> backendPids() throws SQLException {
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin
					.prepareStatement("SELECT pid FROM pg_stat_activity WHERE usename = ?")) {
			statement.setString(1, database.username());
			List<Integer> pids = new ArrayList<>();
			try (ResultSet result = statement.executeQuery()) {
				while (result.next()) {
					pids.add(result.getInt(1));
				}
			}
			return pids;
		}
	}

	// The role's sessions only: the admin connections of this test are not the fleet's
	private static int roleSessions() {
		try (Connection admin = database.adminConnection();
				PreparedStatement statement = admin
					.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE usename = ?")) {
			statement.setString(1, database.username());
			try (ResultSet result = statement.executeQuery()) {
				result.next();
				return result.getInt(1);
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
