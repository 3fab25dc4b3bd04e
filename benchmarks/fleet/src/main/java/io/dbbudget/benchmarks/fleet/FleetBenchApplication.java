package io.dbbudget.benchmarks.fleet;

import java.util.Arrays;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * One instance of the fleet: a plain Spring Boot application with one DataSource (Spring
 * Boot's HikariCP pool, sized by db-budget unless {@code db.budget.enabled=false}) that runs
 * {@link Workload} once and exits.
 * <p>
 * {@code java -jar fleet-bench.jar report ...} runs {@link Report} instead, without Spring.
 *
 * @author db-budget team
 */
@SpringBootApplication
@EnableConfigurationProperties(WorkloadProperties.class)
public class FleetBenchApplication {

	public static void main(String[] args) throws Exception {
		if (args.length > 0 && args[0].equals("report")) {
			Report.main(Arrays.copyOfRange(args, 1, args.length));
			return;
		}
		SpringApplication application = new SpringApplication(FleetBenchApplication.class);
		// The workload decides the exit code (see Workload); the context closes its pools first
		System.exit(SpringApplication.exit(application.run(args)));
	}

}
