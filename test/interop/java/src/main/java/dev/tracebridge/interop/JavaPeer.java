package dev.tracebridge.interop;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The other side of tracebridge's mixed-fleet tests: plain kafka-clients, amqp-client and grpc-java code
 * with no tracing of its own, so that every span and every header comes from the OpenTelemetry Java agent
 * attached to this JVM.
 *
 * <p>One JVM runs a scripted sequence of scenarios, one command per stdin line; each is answered with one
 * stdout line starting with {@code tracebridge-peer }. The agent's own output (OTLP JSON lines from the
 * {@code logging-otlp} exporter) shares stdout and is told apart by the test.
 *
 * <ul>
 *   <li>{@code kafka-produce TOPIC} sends one record to partition 0.
 *   <li>{@code kafka-consume TOPIC} reads partition 0 from the beginning until one record arrives.
 *   <li>{@code amqp-publish QUEUE} publishes one message through the default exchange.
 *   <li>{@code amqp-consume QUEUE} consumes one delivery and acks it.
 *   <li>{@code grpc-call PORT} makes one unary call of {@code tracebridge.interop.Echo/Say}.
 *   <li>{@code quit} closes everything and exits.
 * </ul>
 *
 * At start it serves {@code tracebridge.interop.Echo/Say} on 127.0.0.1 and answers {@code ready PORT}.
 */
public final class JavaPeer {
  private static final String KAFKA = "127.0.0.1:9092";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final PrintStream OUT = System.out;

  /** The bytes pass through untouched: no protobuf, so no code generation on either side. */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
      };

  private static final MethodDescriptor<byte[], byte[]> SAY =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("tracebridge.interop.Echo/Say")
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  private KafkaProducer<byte[], byte[]> producer;
  private Connection amqp;

  public static void main(String[] args) throws Exception {
    new JavaPeer().run();
  }

  private void run() throws Exception {
    Server server =
        Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
            .addService(
                ServerServiceDefinition.builder("tracebridge.interop.Echo")
                    .addMethod(
                        SAY,
                        ServerCalls.asyncUnaryCall(
                            (request, response) -> {
                              response.onNext(request);
                              response.onCompleted();
                            }))
                    .build())
            .build()
            .start();
    reply("ready " + server.getPort());
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] words = line.trim().split(" ");
        if (words[0].equals("quit")) break;
        try {
          reply("ok " + execute(words[0], words.length > 1 ? words[1] : ""));
        } catch (Exception e) {
          // One failed scenario must not end the others: the test reads the reason and fails that one.
          reply("error " + words[0] + " " + e.toString().replace('\n', ' '));
        }
      }
    } finally {
      if (producer != null) producer.close(Duration.ofSeconds(5));
      if (amqp != null) amqp.close();
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private String execute(String command, String target) throws Exception {
    switch (command) {
      case "kafka-produce":
        producer()
            .send(new ProducerRecord<>(target, 0, null, "from java".getBytes(StandardCharsets.UTF_8)))
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return command + " " + target;
      case "kafka-consume":
        return command + " " + target + " " + consumeKafka(target);
      case "amqp-publish":
        try (Channel channel = amqp().createChannel()) {
          channel.basicPublish(
              "",
              target,
              new AMQP.BasicProperties.Builder().build(),
              "from java".getBytes(StandardCharsets.UTF_8));
        }
        return command + " " + target;
      case "amqp-consume":
        return command + " " + target + " " + consumeAmqp(target);
      case "grpc-call":
        ManagedChannel channel =
            Grpc.newChannelBuilderForAddress(
                    "127.0.0.1", Integer.parseInt(target), InsecureChannelCredentials.create())
                .build();
        try {
          byte[] answer =
              ClientCalls.blockingUnaryCall(
                  channel,
                  SAY,
                  CallOptions.DEFAULT.withDeadlineAfter(WAIT.toSeconds(), TimeUnit.SECONDS),
                  "from java".getBytes(StandardCharsets.UTF_8));
          return command + " " + target + " " + new String(answer, StandardCharsets.UTF_8).replace(' ', '_');
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      default:
        throw new IllegalArgumentException("unknown command " + command);
    }
  }

  private KafkaProducer<byte[], byte[]> producer() {
    if (producer == null) {
      Properties props = new Properties();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA);
      props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
      producer = new KafkaProducer<>(props);
    }
    return producer;
  }

  /** Reads the record by assignment, not by group: no rebalance to wait for. */
  private static String consumeKafka(String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        // Iterating is what the agent wraps in a CONSUMER "process" span per record. That span ends when
        // the iterator moves on or runs out, so the loop runs to the end: leaving it early would keep
        // the span open, and current on this thread, under every later scenario.
        String value = null;
        for (ConsumerRecord<byte[], byte[]> record : records) {
          if (value == null) value = new String(record.value(), StandardCharsets.UTF_8);
        }
        if (value != null) return value.replace(' ', '_');
      }
      throw new IllegalStateException("no record on " + topic + " within " + WAIT);
    }
  }

  private Connection amqp() throws Exception {
    if (amqp == null) {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setHost("127.0.0.1");
      factory.setPort(5672);
      factory.setUsername("guest");
      factory.setPassword("guest");
      amqp = factory.newConnection("tracebridge-java-peer");
    }
    return amqp;
  }

  private String consumeAmqp(String queue) throws Exception {
    CompletableFuture<String> delivered = new CompletableFuture<>();
    try (Channel channel = amqp().createChannel()) {
      String tag =
          channel.basicConsume(
              queue,
              false,
              new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(
                    String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                    throws IOException {
                  getChannel().basicAck(envelope.getDeliveryTag(), false);
                  delivered.complete(new String(body, StandardCharsets.UTF_8).replace(' ', '_'));
                }
              });
      String body = delivered.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      channel.basicCancel(tag);
      return body;
    }
  }

  private static void reply(String line) {
    synchronized (OUT) {
      OUT.println("tracebridge-peer " + line);
      OUT.flush();
    }
  }
}
