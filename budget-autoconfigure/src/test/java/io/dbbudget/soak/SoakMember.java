package io.dbbudget.soak;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.dbbudget.autoconfigure.DbBudgetAutoConfiguration;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * One member of the soak's fleet, in a JVM of its own so that it can be killed and paused:
 * a Spring application with the starter, fleet coordination on, and writer and reader threads
 * until the file {@code <dir>/stop} appears. It records every write's id once
 * {@code commit()} has returned ({@code ids-<member>.txt}) and, every 100 ms, what it is
 * doing ({@code member-<member>.log}): {@code S <epoch ms> <in flight> <ok> <failed>
 * <pool total> <pool active> <pool maximum>}, a line {@code O <started epoch ms> <ended epoch ms>}
 * per successful operation and {@code F <ended epoch ms> <started epoch ms> <SQLSTATE>} per
 * failed one, and {@code E <stuck threads>} at the end.
 * <p>
 * Arguments: directory, member number, incarnation, writers, readers, then Spring
 * properties as {@code --name=value}.
 */
public final class SoakMember {

	private static final long SAMPLE_MILLIS = 100;

	private final DataSource dataSource;

	private final HikariDataSource pool;

	private final PrintWriter log;

	private final BufferedWriter ids;

	private final long idBase;

	private final AtomicLong nextId = new AtomicLong();

	private final AtomicInteger inFlight = new AtomicInteger();

	private final AtomicLong ok = new AtomicLong();

	private final AtomicLong failed = new AtomicLong();

	private final AtomicBoolean running = new AtomicBoolean(true);

	private SoakMember(DataSource dataSource, Path dir, int member, int incarnation) throws IOException {
		this.dataSource = dataSource;
		this.pool = unwrap(dataSource);
		this.log = new PrintWriter(Files.newBufferedWriter(dir.resolve("member-" + member + ".log"),
				StandardOpenOption.CREATE, StandardOpenOption.APPEND));
		this.ids = Files.newBufferedWriter(dir.resolve("ids-" + member + ".txt"), StandardOpenOption.CREATE,
				StandardOpenOption.APPEND);
		this.idBase = (member * 100L + incarnation) * 10_000_000_000L;
	}

	public static void main(String[] args) throws Exception {
		Path dir = Path.of(args[0]);
		int member = Integer.parseInt(args[1]);
		int incarnation = Integer.parseInt(args[2]);
		int writers = Integer.parseInt(args[3]);
		int readers = Integer.parseInt(args[4]);
		String[] properties = java.util.Arrays.copyOfRange(args, 5, args.length);
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(Member.class)
			.web(WebApplicationType.NONE)
			.run(properties)) {
			SoakMember soak = new SoakMember(context.getBean(DataSource.class), dir, member, incarnation);
			int stuck = soak.run(writers, readers, dir.resolve("stop"));
			System.exit((stuck == 0) ? 0 : 3);
		}
	}

	private int run(int writers, int readers, Path stop) throws Exception {
		List<Thread> threads = new ArrayList<>();
		for (int i = 0; i < writers + readers; i++) {
			boolean writer = i < writers;
			Thread thread = new Thread(() -> work(writer), (writer ? "writer-" : "reader-") + i);
			thread.setDaemon(true);
			threads.add(thread);
			thread.start();
		}
		while (!Files.exists(stop)) {
			sample();
			Thread.sleep(SAMPLE_MILLIS);
		}
		this.running.set(false);
		int stuck = 0;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		for (Thread thread : threads) {
			thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
			stuck += thread.isAlive() ? 1 : 0;
		}
		sample();
		synchronized (this.log) {
			this.log.println("E " + stuck);
			this.log.flush();
		}
		return stuck;
	}

	private void sample() {
		HikariPoolMXBean bean = this.pool.getHikariPoolMXBean();
		int total = (bean != null) ? bean.getTotalConnections() : 0;
		int active = (bean != null) ? bean.getActiveConnections() : 0;
		synchronized (this.log) {
			this.log.println("S " + System.currentTimeMillis() + " " + this.inFlight.get() + " " + this.ok.get() + " "
					+ this.failed.get() + " " + total + " " + active + " " + this.pool.getMaximumPoolSize());
			this.log.flush();
		}
	}

	private void work(boolean writer) {
		while (this.running.get()) {
			long started = System.currentTimeMillis();
			this.inFlight.incrementAndGet();
			try {
				if (writer) {
					write();
				}
				else {
					read();
				}
				this.ok.incrementAndGet();
				synchronized (this.log) {
					this.log.println("O " + started + " " + System.currentTimeMillis());
				}
			}
			catch (SQLException | RuntimeException ex) {
				this.failed.incrementAndGet();
				String state = (ex instanceof SQLException sql && sql.getSQLState() != null) ? sql.getSQLState()
						: ex.getClass().getSimpleName();
				synchronized (this.log) {
					this.log.println("F " + System.currentTimeMillis() + " " + started + " " + state);
				}
			}
			finally {
				this.inFlight.decrementAndGet();
			}
			try {
				Thread.sleep(ThreadLocalRandom.current().nextInt(5, 20));
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	private void write() throws SQLException {
		long id = this.idBase + this.nextId.incrementAndGet();
		try (Connection connection = this.dataSource.getConnection()) {
			connection.setAutoCommit(false);
			try (PreparedStatement insert = connection.prepareStatement("INSERT INTO soak_write (id) VALUES (?)")) {
				insert.setLong(1, id);
				insert.executeUpdate();
			}
			connection.commit();
		}
		synchronized (this.ids) {
			try {
				this.ids.write(id + "\n");
				this.ids.flush();
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
		}
	}

	private void read() throws SQLException {
		try (Connection connection = this.dataSource.getConnection();
				PreparedStatement query = connection
					.prepareStatement("SELECT count(*) FROM soak_write WHERE id > ?")) {
			query.setLong(1, this.idBase + Math.max(0, this.nextId.get() - 100));
			try (ResultSet result = query.executeQuery()) {
				result.next();
			}
		}
	}

	private static HikariDataSource unwrap(DataSource dataSource) {
		try {
			return dataSource.unwrap(HikariDataSource.class);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, DbBudgetAutoConfiguration.class })
	static class Member {

	}

}
