package io.dbbudget.benchmarks;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * The same {@code plain} and {@code wrapped} benchmarks as
 * {@link ConnectionAcquisitionBenchmark}, as throughput in operations per microsecond (all
 * threads together).
 *
 * @author db-budget team
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ConnectionAcquisitionThroughputBenchmark extends ConnectionAcquisitionBenchmark {

}
