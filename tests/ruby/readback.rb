# Loads a Vagrantfile with Vagrant's API replaced by a recorder, and prints every call the
# file made, as JSON. Used by the property tests: a value read back must equal the value
# given, and loading the file must do nothing but configure.
require "json"

CALLS = []

# Anything that would run a program or code is recorded as a breach, never performed.
module Kernel
  %i[system exec spawn fork ` eval open require_relative].each do |name|
    define_method(name) { |*args, **_kw| CALLS << {"call" => "BREACH #{name}", "args" => args.map(&:to_s)}; nil }
  end
end

class Recorder < BasicObject
  def initialize(path) @path = path end

  def method_missing(name, *args, **kw, &blk)
    ::CALLS << {"call" => "#{@path}.#{name}", "args" => args, "kw" => kw.transform_keys(&:to_s)}
    child = ::Recorder.new("#{@path}.#{name}")
    blk.call(child) if blk
    child
  end

  def respond_to_missing?(*) true end
end

module Vagrant
  def self.configure(version, &blk)
    CALLS << {"call" => "Vagrant.configure", "args" => [version]}
    blk.call(Recorder.new("config"))
  end

  def self.has_plugin?(name)
    CALLS << {"call" => "Vagrant.has_plugin?", "args" => [name]}
    true
  end

  module Util
    module Platform
      def self.windows?
        CALLS << {"call" => "Vagrant::Util::Platform.windows?", "args" => []}
        true
      end
    end
  end
end

Kernel.instance_method(:load).bind(self).call(ARGV[0])
$stdout.write(JSON.generate(CALLS))
