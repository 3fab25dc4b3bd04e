package io.dbbudget.benchmarks;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@code getConnection()} then {@code close()} on an idle, warmed HikariCP pool: straight on
 * the pool ({@link #plain}) and through {@link io.dbbudget.retry.RetryingDataSource} around
 * the same pool ({@link #wrapped}). No SQL is sent: this is the pool's borrow and return,
 * the path the wrapper must not slow down. Average time per operation, in nanoseconds;
 * {@link ConnectionAcquisitionThroughputBenchmark} measures the same methods as throughput.
 *
 * @author db-budget team
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class ConnectionAcquisitionBenchmark {

	@Benchmark
	public void plain(PoolState state, Blackhole blackhole) throws SQLException {
		try (Connection connection = state.pool.getConnection()) {
			blackhole.consume(connection);
		}
	}

	@Benchmark
	public void wrapped(PoolState state, Blackhole blackhole) throws SQLException {
		try (Connection connection = state.wrapped.getConnection()) {
			blackhole.consume(connection);
		}
	}

}
