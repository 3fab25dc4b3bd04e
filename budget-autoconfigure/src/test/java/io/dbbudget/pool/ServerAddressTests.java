package io.dbbudget.pool;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServerAddress}.
 */
class ServerAddressTests {

	@Test
	void hostPortAndDatabase() {
		ServerAddress address = ServerAddress.of("jdbc:postgresql://DB.example.com:5433/orders?sslmode=require");
		assertThat(address.hosts()).containsExactly("db.example.com:5433");
		assertThat(address.database()).isEqualTo("orders");
		assertThat(address).hasToString("db.example.com:5433");
	}

	@Test
	void defaultPortIsTheDriversOwn() {
		assertThat(ServerAddress.of("jdbc:postgresql://primary/orders").hosts()).containsExactly("primary:5432");
		assertThat(ServerAddress.of("jdbc:mariadb://replica/orders").hosts()).containsExactly("replica:3306");
		assertThat(ServerAddress.of("jdbc:mysql://replica:3307/orders").hosts()).containsExactly("replica:3307");
	}

	@Test
	void urlWithoutHostReachesTheLocalServer() {
		assertThat(ServerAddress.of("jdbc:postgresql:orders"))
			.isEqualTo(new ServerAddress("postgresql", List.of("localhost:5432"), "orders"));
		assertThat(ServerAddress.of("jdbc:postgresql:///orders").hosts()).containsExactly("localhost:5432");
	}

	@Test
	void poolsOnOneServerOverlapWhateverTheirDatabaseOrOptions() {
		assertThat(ServerAddress.of("jdbc:postgresql://db:5432/orders?ApplicationName=a")
			.overlaps(ServerAddress.of("jdbc:postgresql://db/billing"))).isTrue();
		assertThat(ServerAddress.of("jdbc:postgresql://primary/orders")
			.overlaps(ServerAddress.of("jdbc:postgresql://replica/orders"))).isFalse();
	}

	@Test
	void multiHostUrlIsOneServerWhateverTheHostsOrder() {
		ServerAddress address = ServerAddress.of("jdbc:postgresql://h1:5432,h2:5433/orders?targetServerType=primary");
		assertThat(address.hosts()).containsExactly("h1:5432", "h2:5433");
		assertThat(address.overlaps(ServerAddress.of("jdbc:postgresql://h2:5433,h1/orders"))).isTrue();
	}

	@Test
	void multiHostUrlOverlapsEachOfItsHosts() {
		ServerAddress single = ServerAddress.of("jdbc:postgresql://pg1/app");
		ServerAddress multi = ServerAddress.of("jdbc:postgresql://pg1,pg2/app?targetServerType=any");
		assertThat(multi.overlaps(single)).isTrue();
		assertThat(single.overlaps(multi)).isTrue();
		assertThat(multi.overlaps(ServerAddress.of("jdbc:postgresql://pg3/app"))).isFalse();
		assertThat(single.union(multi)).hasToString("pg1:5432,pg2:5432");
	}

	@Test
	void ipv6Host() {
		assertThat(ServerAddress.of("jdbc:postgresql://[::1]:5740/accounting").hosts()).containsExactly("[::1]:5740");
		assertThat(ServerAddress.of("jdbc:postgresql://[::1]/accounting").hosts()).containsExactly("[::1]:5432");
	}

	@Test
	void embeddedDatabaseIsItsOwnServer() {
		ServerAddress address = ServerAddress.of("jdbc:h2:mem:orders;DB_CLOSE_DELAY=-1");
		assertThat(address.hosts()).containsExactly("h2:mem:orders");
		assertThat(address.overlaps(ServerAddress.of("jdbc:h2:mem:billing"))).isFalse();
	}

	@Test
	void singleHostUrlsAskEachHostWithoutChoosingByType() {
		assertThat(ServerAddress.singleHostUrls("jdbc:postgresql://h1,h2:5433/orders?targetServerType=primary&ssl=true"))
			.containsExactly("jdbc:postgresql://h1/orders?ssl=true", "jdbc:postgresql://h2:5433/orders?ssl=true");
		assertThat(ServerAddress.singleHostUrls("jdbc:postgresql://h1,h2/orders?ssl=true&targetServerType=primary"))
			.containsExactly("jdbc:postgresql://h1/orders?ssl=true", "jdbc:postgresql://h2/orders?ssl=true");
		assertThat(ServerAddress.singleHostUrls("jdbc:postgresql://h1/orders?targetServerType=primary"))
			.containsExactly("jdbc:postgresql://h1/orders?targetServerType=primary");
	}

	@Test
	void hostNamesAreLowerCaseAndTheDefaultPortIsWritten() {
		assertThat(ServerAddress.of("jdbc:postgresql://PG1.Example.COM/app").hosts())
			.isEqualTo(ServerAddress.of("jdbc:postgresql://pg1.example.com:5432/app").hosts())
			.containsExactly("pg1.example.com:5432");
		assertThat(ServerAddress.of("JDBC:MySQL://Db/app").hosts()).containsExactly("db:3306");
	}

	@Test
	void ipv6LiteralIsWrittenOneWay() {
		assertThat(ServerAddress.of("jdbc:postgresql://[0:0:0:0:0:0:0:1]:5432/app").hosts())
			.containsExactly("[::1]:5432");
		assertThat(ServerAddress.of("jdbc:postgresql://[2001:DB8:0:0:0:0:0:1]/app").hosts())
			.containsExactly("[2001:db8::1]:5432");
		assertThat(ServerAddress.of("jdbc:mariadb://address=(host=::1)(port=3307)/app").hosts())
			.containsExactly("[::1]:3307");
	}

	@Test
	void mySqlAddressEqualsFormIsHostAndPort() {
		assertThat(ServerAddress.of("jdbc:mysql://address=(host=DB)(port=3307)(user=app)/orders").hosts())
			.containsExactly("db:3307");
		assertThat(ServerAddress.of("jdbc:mariadb://address=(host=db)(type=primary)/orders").hosts())
			.containsExactly("db:3306");
		assertThat(ServerAddress.of("jdbc:mysql://address=(host=db)(port=3306)/orders")
			.overlaps(ServerAddress.of("jdbc:mysql://db:3306/billing"))).isTrue();
	}

	@Test
	void mySqlKeyValueFormIsHostAndPortWithoutItsCredentials() {
		ServerAddress address = ServerAddress
			.of("jdbc:mysql://(host=db,port=3307,user=app,password=s3cret),(host=db2,password=other)/orders");
		assertThat(address.hosts()).containsExactly("db:3307", "db2:3306");
		assertThat(address.toString()).doesNotContain("s3cret").doesNotContain("other").doesNotContain("user");
	}

	@Test
	void mySqlHostListInBracketsAndUserInfo() {
		assertThat(ServerAddress.of("jdbc:mysql://app:s3cret@[db1:3307,(host=db2,port=3308)]/orders").hosts())
			.containsExactly("db1:3307", "db2:3308");
		assertThat(ServerAddress.of("jdbc:mysql://app:s3cret@db/orders")).hasToString("db:3306");
	}

	@Test
	void failoverLoadBalanceAndReplicationPrefixesNameTheirHosts() {
		assertThat(ServerAddress.of("jdbc:mysql:loadbalance://db1,DB2:3307/orders").hosts())
			.containsExactly("db1:3306", "db2:3307");
		assertThat(ServerAddress.of("jdbc:mysql:replication://address=(host=db1)(type=source),db2/orders").hosts())
			.containsExactly("db1:3306", "db2:3306");
		assertThat(ServerAddress.of("jdbc:mariadb:failover://db1,db2/orders").hosts())
			.containsExactly("db1:3306", "db2:3306");
		assertThat(ServerAddress.of("jdbc:mariadb:sequential://db1:3307/orders")
			.overlaps(ServerAddress.of("jdbc:mariadb://db1:3307/billing"))).isTrue();
	}

	@Test
	void unknownSchemeShowsHostAndPortOnly() {
		assertThat(ServerAddress.of("jdbc:oracle:thin:scott/tiger@//DB:1521/ORCL")).hasToString("db:1521");
		assertThat(ServerAddress.of("jdbc:oracle:thin:scott/tiger@db:1521:ORCL")).hasToString("db:1521");
		assertThat(ServerAddress.of("jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=(PROTOCOL=TCP)"
				+ "(HOST=db1)(PORT=1521))(ADDRESS=(PROTOCOL=TCP)(HOST=db2)(PORT=1522)))"
				+ "(CONNECT_DATA=(SERVICE_NAME=orcl)))"))
			.hasToString("db1:1521,db2:1522");
		assertThat(ServerAddress.of("jdbc:sqlserver://db:1433;user=sa;password=s3cret")).hasToString("db:1433");
		assertThat(ServerAddress.of("jdbc:db2://app:s3cret@db:50000/orders:user=app;password=s3cret;"))
			.hasToString("db:50000");
	}

	@Test
	void unknownSchemeWithoutHostsIsOneServerWithoutItsProperties() {
		assertThat(ServerAddress.of("jdbc:sqlserver://;serverName=db;password=s3cret")).hasToString("sqlserver");
		assertThat(ServerAddress.of("jdbc:h2:mem:orders;USER=sa;PASSWORD=s3cret")).hasToString("h2:mem:orders");
	}

}
