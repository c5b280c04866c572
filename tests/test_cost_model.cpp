// The cost model against LeNet-5 and the MLP worked out by hand.
#include "simulator/learning/cost_model.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace edgetrain;

namespace {
ModelDescriptor model(const char* name) {
  ModelDescriptor m;
  REQUIRE(find_model(name, m));
  return m;
}
} // namespace

TEST_CASE("cost model: LeNet-5 full model, by hand") {
  // conv1 1->6 5x5 pad 2 on 28x28: 28x28 out; weights 6*1*25 = 150, +6 bias; MACs 28*28*150 = 117,600
  // pool -> 14x14; conv2 6->16 5x5: 10x10 out; weights 16*6*25 = 2,400, +16; MACs 100*2,400 = 240,000
  // pool -> 5x5; flatten 16*25 = 400; fc1 400->120: 48,000 +120; fc2 120->84: 10,080 +84;
  // fc3 84->10: 840 +10.  Params 156+2,416+48,120+10,164+850 = 61,706.
  // MACs 117,600+240,000+48,000+10,080+840 = 416,520; forward 2x = 833,040; training: 3x forward
  // less conv1's input gradient (2 x 117,600), 2,499,120 - 235,200 = 2,263,920.
  const ModelCost c = model_cost(model("lenet5"));
  CHECK(c.params == 61706);
  CHECK(c.forward_flops == doctest::Approx(833040.0).epsilon(1e-12));
  CHECK(c.train_flops == doctest::Approx(2263920.0).epsilon(1e-12));
  CHECK(c.model_bytes == doctest::Approx(61706.0 * 4));
  CHECK(c.update_bytes == doctest::Approx(61706.0 * 4));
  REQUIRE(c.layers.size() == 5);
  CHECK(c.layers[1].params == 2416);
  CHECK(c.layers[2].in_units == 400);
}

TEST_CASE("cost model: LeNet-5 with half the filters and units kept, 8-bit updates") {
  // keep 0.5: conv1 3 filters (3*25+3 = 78 params, MACs 784*75 = 58,800); conv2 8 filters on 3
  // channels (8*3*25+8 = 608, MACs 100*600 = 60,000); fc1 200->60 (12,060, MACs 12,000);
  // fc2 60->42 (2,562, MACs 2,520); fc3 42->10 (430, MACs 420).
  // Params 15,738; MACs 133,740.
  Compression half{{0.5, 0.5, 0.5, 0.5}, 8};
  const ModelCost c = model_cost(model("lenet5"), half);
  CHECK(c.params == 15738);
  CHECK(c.forward_flops == doctest::Approx(2.0 * 133740));
  CHECK(c.train_flops == doctest::Approx(6.0 * 133740 - 2.0 * 58800)); // no input gradient for conv1
  CHECK(c.model_bytes == doctest::Approx(15738.0 * 4));
  CHECK(c.update_bytes == doctest::Approx(15738.0)); // one byte per value
  CHECK(half.mean_keep() == doctest::Approx(0.5));
}

TEST_CASE("cost model: under dropout the sub-model's FLOPs but the whole model moves and is averaged") {
  // Filters drawn anew each mini-batch: the device holds all 61,706 parameters (see the full-model
  // case) and sends them all back; it computes with the half model's FLOPs.
  const ModelCost c =
      model_cost(model("lenet5"), Compression{{0.5, 0.5, 0.5, 0.5}, 8, Compression::Mode::Dropout});
  CHECK(c.params == 15738);
  CHECK(c.sent_params == 61706);
  CHECK(c.train_flops == doctest::Approx(6.0 * 133740 - 2.0 * 58800));
  CHECK(c.model_bytes == doctest::Approx(61706.0 * 4));
  CHECK(c.update_bytes == doctest::Approx(61706.0));
  // HeteroFL's nested sub-model is the same every mini-batch: only it moves.
  const Compression nested{{0.5, 0.5, 0.5, 0.5}, 8, Compression::Mode::Nested};
  CHECK(model_cost(model("lenet5"), nested).sent_params == 15738);
}

TEST_CASE("cost model: Federated Dropout's sub-model at keep 0.75 moves and trains only itself") {
  // keep 0.75 of LeNet-5's prunable layers: conv1 round(4.5) = 5 filters, conv2 12, fc1 90,
  // fc2 63; fc3 keeps its 10 outputs.
  // conv1 1->5 5x5 on 28x28 (pad 2): 5*1*25 = 125 weights + 5 = 130 params; MACs 784*125 = 98,000
  // conv2 5->12 5x5, 10x10 out:     12*5*25 = 1,500 + 12 = 1,512;           MACs 100*1,500 = 150,000
  // flatten 12*5*5 = 300; fc1 300->90: 27,000 + 90 = 27,090;                MACs 27,000
  // fc2 90->63: 5,670 + 63 = 5,733;                                          MACs 5,670
  // fc3 63->10: 630 + 10 = 640;                                              MACs 630
  // Params 130+1,512+27,090+5,733+640 = 35,105; MACs 281,300; forward 562,600 FLOPs;
  // training 3 x 562,600 - conv1's 196,000 = 1,491,800 FLOPs per sample.
  // Down: 35,105 x 4 = 140,420 B; up at 32 bits the same, at 8 bits 35,105 B.
  const ModelCost c =
      model_cost(model("lenet5"), Compression{{0.75, 0.75, 0.75, 0.75}, 32, Compression::Mode::Submodel});
  CHECK(c.params == 35105);
  CHECK(c.sent_params == 35105);
  CHECK(c.layers[2].in_units == 300);
  CHECK(c.forward_flops == doctest::Approx(562600.0).epsilon(1e-12));
  CHECK(c.train_flops == doctest::Approx(1491800.0).epsilon(1e-12));
  CHECK(c.model_bytes == doctest::Approx(140420.0));
  CHECK(c.update_bytes == doctest::Approx(140420.0));
  const ModelCost c8 =
      model_cost(model("lenet5"), Compression{{0.75, 0.75, 0.75, 0.75}, 8, Compression::Mode::Submodel});
  CHECK(c8.model_bytes == doctest::Approx(140420.0)); // the model goes down in float32
  CHECK(c8.update_bytes == doctest::Approx(35105.0));
  // Against per-mini-batch dropout at the same keep: the same FLOPs, but the whole model moves.
  const ModelCost d =
      model_cost(model("lenet5"), Compression{{0.75, 0.75, 0.75, 0.75}, 32, Compression::Mode::Dropout});
  CHECK(d.train_flops == c.train_flops);
  CHECK(d.model_bytes == doctest::Approx(61706.0 * 4));
}

TEST_CASE("cost model: a conv layer's cost scales with keep(in) x keep(out)") {
  const ModelCost full = model_cost(model("lenet5"));
  // keep conv1 at 0.5 (its 6 filters -> 3), conv2 at 0.25 (16 -> 4): conv2 MACs scale by 0.5 * 0.25.
  const ModelCost c = model_cost(model("lenet5"), {{0.5, 0.25, 1.0, 1.0}, 32});
  CHECK(c.layers[1].forward_flops == doctest::Approx(full.layers[1].forward_flops * 0.5 * 0.25));
}

TEST_CASE("cost model: the MLP of McMahan et al. has 199,210 parameters") {
  // 784*200+200 + 200*200+200 + 200*10+10 = 157,000 + 40,200 + 2,010
  const ModelCost c = model_cost(model("mlp"));
  CHECK(c.params == 199210);
  CHECK(c.forward_flops == doctest::Approx(2.0 * (784 * 200 + 200 * 200 + 200 * 10)));
}

TEST_CASE("cost model: a pruned layer keeps at least one filter") {
  const ModelCost c = model_cost(model("lenet5"), {{0.01, 0.01, 0.01, 0.01}, 32});
  CHECK(c.layers[0].out_units == 1);
  CHECK(c.layers[1].out_units == 1);
}

TEST_CASE("cost model: bad compressions are rejected") {
  const ModelDescriptor m = model("lenet5");
  CHECK_THROWS_AS(model_cost(m, {{1.0, 1.0}, 32}), std::invalid_argument);           // wrong length
  CHECK_THROWS_AS(model_cost(m, {{0.0, 1.0, 1.0, 1.0}, 32}), std::invalid_argument); // keep 0
  CHECK_THROWS_AS(model_cost(m, {{1.5, 1.0, 1.0, 1.0}, 32}), std::invalid_argument); // keep > 1
  CHECK_THROWS_AS(model_cost(m, {{}, 0}), std::invalid_argument);                    // bits
  CHECK_THROWS_AS(model_cost(m, {{}, 33}), std::invalid_argument);
  CHECK_THROWS_AS(model_cost(m, {{}, 32, static_cast<Compression::Mode>(7)}), std::invalid_argument); // mode
}

TEST_CASE("model catalog: unknown names are not found") {
  ModelDescriptor m;
  CHECK_FALSE(find_model("resnet-9000", m));
  CHECK(model_names().size() == 4);
}

TEST_CASE("cost model: the synthetic-data MLP, by hand") {
  // 60 -> 64 -> 10: 60*64+64 + 64*10+10 = 3,904 + 650 = 4,554 parameters; MACs 3,840 + 640.
  ModelDescriptor m;
  REQUIRE(find_model("synthetic-mlp", m));
  const ModelCost c = model_cost(m);
  CHECK(c.params == 4554);
  CHECK(c.forward_flops == doctest::Approx(2.0 * 4480));
  CHECK(c.train_flops == doctest::Approx(3 * 2.0 * 4480 - 2.0 * 3840)); // no input gradient for fc1
}
